import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import renderCommand from '../../src/cli/commands/render';
import { InputError, UsageError, type CliContext } from '../../src/cli/command';
import { decodePng, readPngText } from '../../src/image';
import { rewritePrompt } from '../../src/generator';
import { parsePrompt } from '../../src/parser';
import { loadableCopy, tinyVariants } from './renderFixture';
import { regionCases, regionModelCopy } from './regionFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const skip = variant ? false : 'no test/fixtures/sd-tiny fixtures yet';
const regionSkip = variant === 'vpred-fp32' && regionCases().length ? false : 'no sd-tiny-regions fixtures';
const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'render-cli-'));
  temps.push(d);
  return d;
}

async function cli(args: string[], cwd = process.cwd(), stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const input = new PassThrough();
  if (stdin !== undefined) input.end(stdin);
  const ctx: CliContext = { stdout: out, stderr: err, stdin: input, cwd, env: {}, signal: new AbortController().signal };
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

test('render writes PNGs with metadata under deterministic names, prints the paths', { skip }, async () => {
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
  // The same render again is the same file: no -2 copy for evaluate to count twice.
  const second = await cli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.trim(), file1);
  assert.deepEqual(fs.readFileSync(file1), bytes1);
  assert.deepEqual(fs.readdirSync(out), ['a-cat-to-the-left-of-a-dog-5.png']);
  // Other settings under the same name: the earlier render is kept and the new name says why.
  const third = await cli([...args.slice(0, -2), '--scheduler', 'euler']);
  assert.equal(third.code, 0, third.stderr);
  assert.match(path.basename(third.stdout.trim()), /^a-cat-to-the-left-of-a-dog-5-[0-9a-f]{8}\.png$/);
  assert.match(third.stderr, /note: .*a-cat-to-the-left-of-a-dog-5\.png holds another render \(scheduler "ddim"\); kept it/);
  assert.deepEqual(fs.readFileSync(file1), bytes1);
});

test('render - reads the prompts from stdin, as analyze - does', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const out = tmp();
  const r = await cli(['--model', model, '-', '--out', out, '--steps', '1', '--seed', '3', '--provider', 'cpu'], process.cwd(), '# from a pipe\na cup above a book\n');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((f) => path.basename(f)), ['a-cup-above-a-book-3.png']);
  const empty = await cli(['--model', model, '-', '--out', out], process.cwd(), '# nothing\n');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /<stdin>: no prompts/);
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
  assert.match(badSize.stderr, /--size: width must be a multiple of 8 from 8 to 4096 pixels, got 60/);
  const badSched = await cli(['--model', out, '--prompt', 'x', '--out', out, '--scheduler', 'plms']);
  assert.match(badSched.stderr, /--scheduler must be one of ddim, euler, euler_a, dpmpp_2m/);
  const both = await cli(['--model', out, '--prompt', 'x', 'file.txt', '--out', out]);
  assert.match(both.stderr, /either --prompt TEXT or one prompt FILE/);
  const noFile = await cli(['--model', out, path.join(out, 'none.prompts'), '--out', out, '--size', '64x64']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /none\.prompts/);
});

test('--guide layout plans each prompt\'s layout and renders every box with its own prompt', { skip: regionSkip }, async () => {
  const model = regionModelCopy(variant!);
  temps.push(model);
  const out = tmp();
  const args = ['--model', model, '--prompt', 'two red apples to the left of a blue vase', '--out', out, '--steps', '3', '--seed', '7', '--provider', 'cpu'];
  const r = await cli([...args, '--guide', 'layout']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /--prompt: guide: 3 regions \(a red apple; a red apple; a blue vase\)/);
  const meta = readPngText(fs.readFileSync(r.stdout.trim()));
  assert.equal(meta.prompt, 'two red apples to the left of a blue vase');
  const guide = JSON.parse(meta.guide!) as { background: string; regions: Array<{ prompt: string; box: { x: number; w: number } }>; bootstrapSteps: number };
  assert.equal(guide.background, 'two red apples to the left of a blue vase');
  assert.equal(guide.bootstrapSteps, 1); // 40% of 3 steps
  // The planned boxes keep the relation: both apples left of the vase.
  const vase = guide.regions.find((g) => g.prompt === 'a blue vase')!.box;
  for (const apple of guide.regions.filter((g) => g.prompt === 'a red apple')) assert.ok(apple.box.x + apple.box.w / 2 < vase.x + vase.w / 2);
  // Without --guide the same seed renders the plain picture, with no guide recorded.
  const plain = await cli(args);
  assert.equal(plain.code, 0, plain.stderr);
  const plainBytes = fs.readFileSync(plain.stdout.trim());
  assert.equal(readPngText(plainBytes).guide, undefined);
  assert.notDeepEqual(decodePng(plainBytes).data, decodePng(fs.readFileSync(r.stdout.trim())).data);

  const bad = await cli([...args, '--guide', 'boxes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--guide must be 'layout'/);
  // A model exported without its VAE encoder: one line naming the file.
  const noEncoder = loadableCopy(variant!);
  temps.push(noEncoder);
  const missing = await cli(['--model', noEncoder, '--prompt', 'a cat left of a dog', '--out', out, '--steps', '3', '--seed', '1', '--provider', 'cpu', '--guide', 'layout']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /vae_encoder[/\\]model\.onnx: expected the vae_encoder ONNX graph/);
});
