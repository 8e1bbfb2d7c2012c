/** `spright-lens detect` through the real CLI dispatcher, with in-memory stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import type { CliContext } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { repoRoot } from './helpers/paths';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const ctx: CliContext = { stdout, stderr, stdin: Readable.from([]), cwd: repoRoot, env: {}, signal: new AbortController().signal };
  const code = await main(['detect', ...args], ctx);
  return { code, out: stdout.text, err: stderr.text };
}

const hasModel = fs.existsSync(path.join(repoRoot, 'models', 'nanodet', 'nanodet.json'));
const skip = hasModel ? false : 'models/nanodet absent: run `npm run fetch-models`';

test('JSONL: one line per detection with image, label, score, rounded pixel box', { skip }, async () => {
  const r = await run(['test/fixtures/detect/chelsea.png', 'test/fixtures/detect/astronaut.png', '--threshold', '0.4']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.length >= 2);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l), ['image', 'label', 'score', 'x', 'y', 'w', 'h']);
    assert.ok((l.score as number) >= 0.4);
    for (const k of ['x', 'y', 'w', 'h']) assert.equal(Math.round((l[k] as number) * 10) / 10, l[k]);
  }
  // Image order is kept and each image's best label is right.
  assert.deepEqual([lines[0]!.image, lines[0]!.label], ['test/fixtures/detect/chelsea.png', 'cat']);
  const astro = lines.filter((l) => l.image === 'test/fixtures/detect/astronaut.png');
  assert.equal(astro[0]!.label, 'person');
});

test('--labels maps prompt nouns and reports the ones the detector cannot know', { skip }, async () => {
  const r = await run(['test/fixtures/detect/astronaut.png', '--labels', 'woman,lamp']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /'lamp' is not in the vocabulary of NanoDet/);
  const labels = r.out.trim().split('\n').map((l) => (JSON.parse(l) as { label: string }).label);
  assert.ok(labels.length >= 1 && labels.every((l) => l === 'person'), labels.join());
});

test('exit 2 with one line: missing image, corrupt image, bad flags, bad detector', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'detect-cli-'));
  const corrupt = path.join(tmp, 'broken.png');
  fs.writeFileSync(corrupt, 'definitely not a png');
  const cases: Array<[string[], RegExp]> = [
    [['no/such.png'], /^spright-lens detect: no\/such\.png: no such file\n$/],
    [[tmp], /is not a file/],
    [[], /no images/],
    [['x.png', '--threshold', '2'], /--threshold must be a number from 0 to 1, got '2'/],
    [['x.png', '--detector', 'yolo'], /unknown detector 'yolo'/],
    [['test/fixtures/detect/chelsea.png', '--detector', `owlvit:${tmp}`], /owlvit needs --labels/],
    [['test/fixtures/detect/chelsea.png', '--detector', `owlvit:${tmp}/nope`, '--labels', 'cat'], /OWL-ViT folder .*nope does not exist; export it with `optimum-cli export onnx/],
    [['test/fixtures/detect/chelsea.png', '--detector', `owlvit:${tmp}`, '--labels', 'cat'], /model\.onnx: missing/],
    [['test/fixtures/detect/chelsea.png', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, re] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re, args.join(' '));
    assert.equal(r.out, '');
  }
  if (hasModel) {
    const r = await run([corrupt]);
    assert.equal(r.code, 2);
    assert.match(r.err, /broken\.png: not a PNG file \(bad signature\) \(only PNG images are supported\)\n$/);
    assert.equal(r.err.split('\n').length, 2, 'one line');
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});
