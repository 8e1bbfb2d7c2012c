import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import renderCommand from '../../src/cli/commands/render';
import { InputError, UsageError, type CliContext } from '../../src/cli/command';
import { readPngText } from '../../src/image';
import { rewritePrompt } from '../../src/generator';
import { parsePrompt } from '../../src/parser';
import { parseSummary, physicalCores } from '../../src/render';
import { loadableCopy, tinyVariants } from './renderFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const skip = variant ? false : 'no test/fixtures/sd-tiny fixtures yet';
const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'render-cli-'));
  temps.push(d);
  return d;
}

async function cli(args: string[], cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const ctx: CliContext = { stdout: out, stderr: err, stdin: new PassThrough(), cwd, env: {}, signal: new AbortController().signal };
  // The command itself, with main.ts's mapping of UsageError/InputError to exit 2 and one line
  // (main.ts runs itself when bundled as the entry, so the test does not import it).
  let code: number;
  try {
    code = await renderCommand.run(args, ctx);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e;
    err.write(`spright-lens render: ${e.message}\n`);
    code = 2;
  }
  return { code, stdout, stderr };
}

test('render writes PNGs with metadata, never overwrites, prints the paths', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const out = tmp();
  const args = ['--model', model, '--prompt', 'a cat to the left of a dog', '--out', out, '--steps', '2', '--seed', '5', '--provider', 'cpu', '--scheduler', 'ddim'];
  const first = await cli(args);
  assert.equal(first.code, 0, first.stderr);
  const file1 = first.stdout.trim();
  assert.equal(path.basename(file1), 'a-cat-to-the-left-of-a-dog-5.png');
  const bytes1 = fs.readFileSync(file1);
  const meta = readPngText(bytes1);
  assert.equal(meta.prompt, 'a cat to the left of a dog');
  assert.equal(meta.seed, '5');
  assert.equal(meta.scheduler, 'ddim');
  assert.equal(meta.size, '64x64'); // the fixture UNet's sample size (8) x the VAE factor (8)
  assert.match(first.stderr, /step 2\/2/);
  const second = await cli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(path.basename(second.stdout.trim()), 'a-cat-to-the-left-of-a-dog-5-2.png');
  assert.deepEqual(fs.readFileSync(file1), bytes1);
});

test('render reports threads and memory mode, s/step, an ETA and a summary of every stage', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const out = tmp();
  const base = ['--model', model, '--prompt', 'a cat to the left of a dog', '--out', out, '--steps', '3', '--seed', '5', '--provider', 'cpu'];
  const def = await cli(base);
  assert.equal(def.code, 0, def.stderr);
  const cores = physicalCores();
  assert.ok(def.stderr.includes(`${cores} thread${cores === 1 ? '' : 's'} = the physical cores (--threads N to change), memory low (one prompt; --memory to change)`), def.stderr);
  assert.match(def.stderr, /loaded in [\d.]+ s on cpu/);
  // low loads the text encoder and the VAE decoder for the image, and says so.
  assert.match(def.stderr, /loading the text encoder \(--memory low loads it for each image\)/);
  assert.match(def.stderr, /step 1\/3, [\d.]+ (s\/step|steps\/s), ETA /);
  const summary = parseSummary(def.stderr);
  assert.ok(summary, def.stderr);
  assert.ok(summary.loadMs > 0 && summary.peakRssBytes > 0);
  const speed = await cli([...base, '--threads', '1', '--memory', 'speed']);
  assert.equal(speed.code, 0, speed.stderr);
  assert.match(speed.stderr, /: 1 thread, memory speed\.\.\./);
  assert.doesNotMatch(speed.stderr, /loading the text encoder/, 'speed loads every part with the pipeline');
  assert.deepEqual(fs.readFileSync(speed.stdout.trim()), fs.readFileSync(def.stdout.trim()), 'the same image whatever the memory mode and threads');
  const badMemory = await cli([...base, '--memory', 'tiny']);
  assert.equal(badMemory.code, 2);
  assert.match(badMemory.stderr, /--memory must be one of speed, balanced, low, got 'tiny'/);
  const badThreads = await cli([...base, '--threads', '0']);
  assert.equal(badThreads.code, 2);
  assert.match(badThreads.stderr, /--threads must be in 1\.\.1024, got 0/);
});

test('render FILE renders every prompt; --rewrite renders the SPRIGHT-style rewrite', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.prompts'), '# two prompts\na cup above a book\na dog below a lamp\n');
  const r = await cli(['--model', model, 'p.prompts', '--out', 'renders', '--steps', '1', '--seed', '1', '--provider', 'cpu', '--rewrite'], dir);
  assert.equal(r.code, 0, r.stderr);
  const files = r.stdout.trim().split('\n');
  assert.equal(files.length, 2);
  assert.match(r.stderr, /memory balanced \(a prompt file; --memory to change\)/, 'a prompt file keeps the UNet from prompt to prompt');
  assert.ok(files.every((f) => f.startsWith(path.join(dir, 'renders'))));
  const meta = readPngText(fs.readFileSync(files[0]!));
  assert.equal(meta.prompt, rewritePrompt(parsePrompt('a cup above a book')).text);
  assert.notEqual(meta.prompt, 'a cup above a book');
});

test('usage and input errors exit 2 with one clear line', { skip }, async () => {
  const out = tmp();
  const noModel = await cli(['--prompt', 'x', '--out', out]);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--model DIR is required/);
  const badDir = await cli(['--model', path.join(out, 'missing'), '--prompt', 'x', '--out', out, '--size', '64x64']);
  assert.equal(badDir.code, 2);
  assert.match(badDir.stderr, /missing: expected a Stable Diffusion ONNX model folder; found no such folder/);
  assert.equal(badDir.stderr.trim().split('\n').length, 1);
  const badSize = await cli(['--model', out, '--prompt', 'x', '--out', out, '--size', '60x64']);
  assert.equal(badSize.code, 2);
  assert.match(badSize.stderr, /--size must be multiples of 8/);
  const badSched = await cli(['--model', out, '--prompt', 'x', '--out', out, '--scheduler', 'plms']);
  assert.match(badSched.stderr, /--scheduler must be one of ddim, euler, euler_a, dpmpp_2m/);
  const both = await cli(['--model', out, '--prompt', 'x', 'file.txt', '--out', out]);
  assert.match(both.stderr, /either --prompt TEXT or one prompt FILE/);
  const noFile = await cli(['--model', out, path.join(out, 'none.prompts'), '--out', out, '--size', '64x64']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /none\.prompts/);
});
