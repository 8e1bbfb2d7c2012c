/**
 * Hard limits and clear errors of rendering: sizes, the memory estimate before the first step,
 * model configs checked against the graphs, onnxruntime and file-system failures as one line.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';
import { parseSizeFlag } from '../../src/cli/args';
import { UsageError } from '../../src/cli/command';
import { OutputDirError, prepareOutputDir } from '../../src/io/outputDir';
import { estimateRenderMemory, loadPipeline, ModelDirError, RenderParamsError, validateModelDir, type ModelArchitecture } from '../../src/render';
import { repoRoot } from './helpers/paths';
import { loadableCopy, tinyVariants } from './renderFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const skip = variant ? false : 'no sd-tiny fixture';
const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
function model(): string {
  const d = loadableCopy(variant!);
  temps.push(d);
  return d;
}
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'render-limits-'));
  temps.push(d);
  return d;
}

/** `spright-lens render ARGS` through the CLI dispatcher, with in-memory stdio. */
async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (c: Buffer) => (chunks.out += c.toString()));
  err.on('data', (c: Buffer) => (chunks.err += c.toString()));
  const code = await main(['render', ...args], { stdout: out, stderr: err, stdin: new PassThrough(), cwd, env: {}, signal: new AbortController().signal });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: chunks.out, stderr: chunks.err };
}

test('sizes: multiples of 8 up to 4096 a side', () => {
  assert.deepEqual(parseSizeFlag('768x512'), { width: 768, height: 512 });
  assert.deepEqual(parseSizeFlag('4096x8'), { width: 4096, height: 8 });
  for (const [text, why] of [
    ['100000x100000', /width must be a multiple of 8 from 8 to 4096 pixels, got 100000/],
    ['4104x64', /from 8 to 4096/],
    ['500x512', /width must be a multiple of 8/],
    ['0x64', /width must be/],
    ['64', /WIDTHxHEIGHT/],
  ] as const) {
    assert.throws(() => parseSizeFlag(text), (e: Error) => e instanceof UsageError && why.test(e.message) && e.message.startsWith('--size: '), text);
  }
});

const SD21: ModelArchitecture = { latentChannels: 4, attentionHeads: [5, 10, 20, null], unetChannels: 320, vaeChannels: 128 };

test('the memory estimate grows with the attention at the finest latent level', () => {
  const at = (side: number): number =>
    estimateRenderMemory({ width: side, height: side, batch: 1, guidance: true, unetChunk: 2, elementBytes: 4, vaeScaleFactor: 8, architecture: SD21 }).total;
  // SD 2.1 at 768: 96x96 latents, 9216 tokens, 5 heads, 2 rows, fp32 scores: 3.4 GB.
  assert.ok(Math.abs(at(768) - 3.4e9) < 0.2e9, `${at(768)}`);
  // Four times the side: 256 times the attention.
  assert.ok(at(3072) / at(768) > 200);
});

test('a render that cannot fit is refused before its first step, with the figure and the way out', { skip }, async () => {
  const p = await loadPipeline(model(), { provider: 'cpu', availableMemory: () => 20e6 });
  try {
    let steps = 0;
    let message = '';
    await assert.rejects(
      p.generate({ prompt: 'a cat', steps: 2, guidanceScale: 5, seed: 1, width: 1024, height: 1024 }, { onStep: () => steps++ }),
      (e: Error) => {
        assert.ok(e instanceof RenderParamsError, String(e));
        message = e.message;
        assert.match(e.message, /^a 1024x1024 render needs at least [\d.]+ (MB|GB) of memory, mostly the UNet attention, and 20\.0 MB is available: render at \d+x\d+ or smaller$/);
        return true;
      },
    );
    assert.equal(steps, 0);
    // The size it names does fit.
    const side = Number(/render at (\d+)x/.exec(message)![1]);
    assert.ok(side >= 64 && side < 1024, message);
    const ok = await p.generate({ prompt: 'a cat', steps: 1, guidanceScale: 5, seed: 1, width: side, height: side });
    assert.equal(ok.images[0].width, side);
  } finally {
    await p.dispose();
  }
});

test('model configs must be JSON objects that agree with the graphs', { skip }, async () => {
  const cases: Array<[string, (dir: string) => void, RegExp, RegExp]> = [
    ['unet config []', (d) => fs.writeFileSync(path.join(d, 'unet', 'config.json'), '[]'), /unet\/config\.json$/, /not a JSON object/],
    [
      'scheduler config {"foo":1}',
      (d) => fs.writeFileSync(path.join(d, 'scheduler', 'scheduler_config.json'), '{"foo":1}'),
      /scheduler_config\.json$/,
      /no "_class_name"/,
    ],
    [
      'scheduler config without its schedule',
      (d) => fs.writeFileSync(path.join(d, 'scheduler', 'scheduler_config.json'), '{"_class_name":"DDIMScheduler"}'),
      /scheduler_config\.json$/,
      /no "num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "prediction_type"/,
    ],
    ['empty merges.txt', (d) => fs.writeFileSync(path.join(d, 'tokenizer', 'merges.txt'), ''), /merges\.txt$/, /no merge rules/],
    ['foreign merges.txt', (d) => fs.writeFileSync(path.join(d, 'tokenizer', 'merges.txt'), '#version: 0.2\nzq\u00e9 xy\n'), /merges\.txt:2$/, /"zqé xy"/],
    [
      'cross_attention_dim that contradicts the graph',
      (d) => {
        const f = path.join(d, 'unet', 'config.json');
        fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), cross_attention_dim: 1024 }));
      },
      /unet\/config\.json$/,
      /cross_attention_dim 1024: the config and the graph contradict each other/,
    ],
    [
      'vocab_size that contradicts vocab.json',
      (d) => {
        const f = path.join(d, 'text_encoder', 'config.json');
        fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), vocab_size: 1000 }));
      },
      /vocab\.json$/,
      /49408 tokens \(a tokenizer from another model\?\)/,
    ],
  ];
  for (const [name, spoil, file, found] of cases) {
    const dir = model();
    spoil(dir);
    await assert.rejects(validateModelDir(dir), (e: Error) => {
      assert.ok(e instanceof ModelDirError, `${name}: ${String(e)}`);
      assert.match(e.file, file, name);
      assert.match(e.found, found, name);
      return true;
    });
  }
  const good = await validateModelDir(model());
  assert.deepEqual(good.defaultSize, { width: 64, height: 64 });
});

test('render: a bad UNet config, a huge size, and an --out that is a file fail before rendering', { skip }, async () => {
  const cwd = tmp();
  const dir = model();
  fs.writeFileSync(path.join(cwd, 'taken'), 'a file');
  const outFile = await cli(['--model', dir, '--prompt', 'a cat', '--out', 'taken', '--steps', '1'], cwd);
  assert.equal(outFile.code, 2);
  assert.match(outFile.stderr, /taken: is a file; --out takes a folder \(made if needed\): give another path/);
  assert.equal(outFile.stdout, '');
  assert.doesNotMatch(outFile.stderr, /step/, 'nothing was rendered');
  const huge = await cli(['--model', dir, '--prompt', 'a cat', '--out', 'o', '--size', '100000x100000'], cwd);
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /--size: width must be a multiple of 8 from 8 to 4096 pixels/);
  fs.writeFileSync(path.join(dir, 'unet', 'config.json'), '[]');
  const bad = await cli(['--model', dir, '--prompt', 'a cat', '--out', 'o', '--steps', '1'], cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unet\/config\.json: expected the UNet config \(a JSON object\); found invalid JSON \(not a JSON object\)/);
  assert.equal(fs.existsSync(path.join(cwd, 'o')), false);
});

test('output folders that cannot be made or written are one clear line', async () => {
  const file = path.join(tmp(), 'file');
  fs.writeFileSync(file, 'x');
  // /proc refuses new folders (a raw "ENOENT ... mkdir" before); a path through a file, ENOTDIR.
  for (const [dir, why] of [
    ['/proc/spright-lens-test/out', /cannot write there \(a parent folder is missing and cannot be made/],
    [path.join(file, 'sub'), /cannot write there \(a part of the path is a file, not a folder\)/],
    [file, /is a file; --out takes a folder/],
  ] as const) {
    await assert.rejects(prepareOutputDir(dir), (e: Error) => {
      assert.ok(e instanceof OutputDirError, String(e));
      assert.match(e.message, why);
      assert.doesNotMatch(e.message, /ENOENT|ENOTDIR|mkdir/);
      assert.equal(e.message.split('\n').length, 1);
      return true;
    });
  }
});

test('a truncated external-weights file is one line naming it, without onnxruntime colour or internals', { skip }, () => {
  const dir = model();
  const data = path.join(dir, 'unet', 'model.onnx_data');
  fs.truncateSync(data, Math.floor(fs.statSync(data).size / 2));
  const cli = path.join(repoRoot, 'out', 'src', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [cli, 'render', '--model', dir, '--prompt', 'a cat', '--out', tmp(), '--provider', 'cpu', '--steps', '1'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: '' },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /\x1b\[/, 'no ANSI colour');
  assert.doesNotMatch(r.stderr, /onnxruntime::|\.cc:\d|ONNXRuntimeError/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /unet\/model\.onnx_data: expected the complete external weights of unet\/model\.onnx; found a file of \d+ bytes that ends before byte \d+/);
});
