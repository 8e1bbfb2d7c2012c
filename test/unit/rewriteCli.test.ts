/** `spright-lens rewrite` through the real CLI dispatcher, with in-memory stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import type { CliContext } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { parsePrompt } from '../../src/parser/index';
import { compareRewrite } from '../../src/generator/index';
import { fixture, repoRoot } from './helpers/paths';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function run(args: string[], stdin = '', cwd = repoRoot): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const input = Readable.from([Buffer.from(stdin)]) as Readable & { isTTY?: boolean };
  input.isTTY = false;
  const ctx: CliContext = { stdout, stderr, stdin: input, cwd, env: {}, signal: new AbortController().signal };
  const code = await main(['rewrite', ...args], ctx);
  return { code, out: stdout.text, err: stderr.text };
}

interface Rec {
  source: string;
  line: number;
  text: string;
  rewrite: string;
  layout: { width: number; height: number; boxes: Array<{ id: string; noun: string; x: number; y: number; w: number; h: number }> };
  notes?: string[];
  conflicts?: number[][];
}

const FILE = path.relative(repoRoot, fixture('generator', 'roundtrip.prompts'));

test('jsonl: one record per prompt with the rewrite and the layout boxes; rewrites read back faithfully', async () => {
  const r = await run([FILE]);
  assert.equal(r.code, 0, r.err);
  const records = r.out.trim().split('\n').map((l) => JSON.parse(l) as Rec);
  const lines = fs.readFileSync(path.join(repoRoot, FILE), 'utf8').split('\n');
  assert.equal(records.length, lines.filter((l) => l.trim() && !l.startsWith('#')).length);
  for (const rec of records) {
    assert.deepEqual(Object.keys(rec).slice(0, 5), ['source', 'line', 'text', 'rewrite', 'layout']);
    assert.equal(lines[rec.line - 1], rec.text);
    assert.equal(rec.layout.width, 768);
    for (const b of rec.layout.boxes) assert.deepEqual(Object.keys(b), ['id', 'noun', 'x', 'y', 'w', 'h']);
    assert.deepEqual(compareRewrite(parsePrompt(rec.text), parsePrompt(rec.rewrite)), { ok: true }, rec.rewrite);
  }
});

test('--seed changes the wording deterministically; --size sets the canvas', async () => {
  const a = await run(['-', '--seed', '1', '--size', '512x384'], 'a cat to the left of a dog\n');
  const b = await run(['-', '--seed', '1', '--size', '512x384'], 'a cat to the left of a dog\n');
  assert.equal(a.out, b.out);
  const rec = JSON.parse(a.out) as Rec;
  assert.equal(rec.source, '<stdin>');
  assert.deepEqual([rec.layout.width, rec.layout.height], [512, 384]);
  for (const box of rec.layout.boxes) assert.ok(box.x + box.w <= 512 && box.y + box.h <= 384);
  const outs = new Set<string>();
  for (let s = 0; s < 12; s++) outs.add(JSON.parse((await run(['-', '--seed', String(s)], 'a cat to the left of a dog\n')).out).rewrite as string);
  assert.ok(outs.size > 1);
});

test('contradictions: notes and the conflicting relation indices', async () => {
  const r = await run(['-'], 'a dog left of a cat. the dog is right of the cat\n');
  const rec = JSON.parse(r.out) as Rec;
  assert.deepEqual(rec.conflicts, [[0, 1]]);
  assert.match(rec.notes![0]!, /Left out/);
});

test('--svg writes one SVG per prompt named after the file and line; text format for people', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-rewrite-'));
  try {
    const promptFile = path.join(dir, 'my prompts.prompts');
    fs.writeFileSync(promptFile, '# two prompts\na <b>cat</b> on a table\n\na fence around a tree\n');
    const r = await run([promptFile, '--svg', path.join(dir, 'svg'), '--format', 'text'], '', dir);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'svg')).sort(), ['my_prompts-2.svg', 'my_prompts-4.svg']);
    const svg = fs.readFileSync(path.join(dir, 'svg', 'my_prompts-2.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns/);
    assert.ok(!svg.includes('<b>'), 'prompt text is escaped');
    assert.match(r.out, /my prompts\.prompts:2: a <b>cat<\/b> on a table\n {2}rewrite: .+\n {2}layout 768x768: /);
    assert.match(r.out, /checks: 1\/1 relations hold/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input exits 2 with one line naming the problem', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['missing.prompts'], /missing\.prompts: no such file/],
    [['-', '--seed', 'x'], /--seed must be a whole number/],
    [['-', '--size', '100'], /--size must be WIDTHxHEIGHT/],
    [['-', '--format', 'xml'], /unknown --format 'xml'/],
    [['-', '--bogus'], /Unknown option '--bogus'/],
    [['-', '--svg', 'package.json'], /exists and is not a folder/],
  ];
  for (const [args, why] of cases) {
    const r = await run(args, 'a cat\n');
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, why);
    assert.equal(r.out, '');
    assert.ok(!/\n\s+at /.test(r.err), 'no stack trace');
  }
  const binary = await run(['-'], '\u0000\u0001binary');
  assert.equal(binary.code, 2);
  assert.match(binary.err, /not a text file/);
});
