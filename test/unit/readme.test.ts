/**
 * The README's "More to try" block works as written on a checkout with nothing beside it: every
 * command runs in a fresh folder holding only a copy of examples/ (npx spright-lens is the built
 * bin, npm run example-model its script).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './helpers/paths';

function moreToTry(): string[] {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = /More to try[^\n]*\n\n```sh\n([^]*?)```/.exec(readme);
  assert.ok(block, 'README has a "More to try" sh block');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

test('README "More to try": no paths outside the checkout; render, batch and evaluate on the example model', () => {
  const commands = moreToTry();
  for (const c of commands) assert.doesNotMatch(c, /\.\.\//, `${c} reaches outside the checkout`);
  for (const verb of ['render', 'batch', 'evaluate']) assert.ok(commands.some((c) => c.startsWith(`npx spright-lens ${verb} `)), `shows ${verb}`);
  assert.ok(commands.includes('npm run example-model'));
});

const missing = !fs.existsSync(path.join(repoRoot, 'dist', 'cli.js'))
  ? 'the CLI is not built (npm run build)'
  : !fs.existsSync(path.join(repoRoot, 'models', 'nanodet'))
    ? 'no NanoDet weights (npm run fetch-models)'
    : false;

test('README "More to try" runs as written', { skip: missing, timeout: 600_000 }, () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-readme-'));
  fs.cpSync(path.join(repoRoot, 'examples'), path.join(cwd, 'examples'), { recursive: true });
  for (const command of moreToTry()) {
    const argv = command
      .replace(/^npx spright-lens /, `"${process.execPath}" "${path.join(repoRoot, 'bin', 'spright-lens.js')}" `)
      .replace(/^npm run example-model$/, `"${process.execPath}" "${path.join(repoRoot, 'scripts', 'example-model.mjs')}"`);
    const r = spawnSync(argv, { cwd, shell: true, encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: '' } });
    assert.equal(r.status, 0, `${command}\n${r.stderr}`);
  }
  assert.ok(fs.readdirSync(path.join(cwd, 'layouts')).some((f) => f.endsWith('.svg')));
  assert.ok(fs.readdirSync(path.join(cwd, 'renders')).some((f) => f.endsWith('.png')));
  assert.equal(fs.readFileSync(path.join(cwd, 'batch-out', 'manifest.jsonl'), 'utf8').trim().split('\n').length, 3);
  fs.rmSync(cwd, { recursive: true, force: true });
});
