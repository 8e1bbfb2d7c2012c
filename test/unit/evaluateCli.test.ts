import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import evaluateCommand from '../../src/cli/commands/evaluate';
import { InputError, UsageError } from '../../src/cli/command';
import type { CliContext } from '../../src/cli/command';
import { runBatch } from '../../src/batch';
import { fakeDeps, prompt, SIZE } from '../fixtures/evaluate/batchFakes';
import { repoRoot, sharedData, sharedDataMissing } from './helpers/paths';

async function cli(args: string[], cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx: CliContext = { stdout, stderr, stdin: new PassThrough(), cwd, env: {}, signal: new AbortController().signal };
  // Same mapping as src/cli/main.ts (not imported: its bundle would run the real CLI on load).
  let code: number;
  try {
    code = await evaluateCommand.run(args, ctx);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e;
    err += `spright-lens evaluate: ${e.message}\n`;
    code = 2;
  }
  return { code, out, err };
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'spright-eval-'));

test('evaluate: bad input exits 2 with one specific line', async () => {
  const dir = tmp();
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '[{"unique_id": 1,');
  let r = await cli(['--prompts', bad, '--images', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.json: not valid JSON/);
  assert.equal(r.err.trim().split('\n').length, 1);

  r = await cli(['--prompts', path.join(dir, 'nope.json'), '--images', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /nope\.json: no such file/);

  const good = path.join(dir, 'sr2d.json');
  fs.writeFileSync(good, JSON.stringify([{ unique_id: 5, num_objects: 2, obj_1_attributes: ['dog'], obj_2_attributes: ['cat'], rel_type: 'above', text: 'a dog above a cat' }]));
  r = await cli(['--prompts', good, '--images', path.join(dir, 'missing')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /missing: no such folder/);

  fs.writeFileSync(path.join(dir, '6_0.png'), 'x');
  r = await cli(['--prompts', good, '--images', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /no image matched the prompts \(expected files named \{prompt_id\}_\{k\}\.png/);

  r = await cli(['--prompts', good, '--images', dir, '--benchmark', 'clip']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--benchmark must be/);
  r = await cli(['--prompts', good, '--images', dir, '--detector', 'yolo']);
  assert.equal(r.code, 2);
});

test('evaluate: a batch manifest is re-judged from its recorded detections (matches summary.json)', async () => {
  const dir = tmp();
  const prompts = [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book')];
  await runBatch(
    {
      prompts,
      outDir: dir,
      imagesPerPrompt: 4,
      seed: 1,
      rewrite: 'both',
      render: { model: 'fake', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim', detector: 'fake' },
    },
    fakeDeps(),
  );
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  const r = await cli(['--prompts', path.join(dir, 'manifest.jsonl')]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.deepEqual(out.visor, { ...summary.variants.original.visor });
  assert.equal(out.visor.uncond, 50);
  assert.equal(out.visor.visor_2, 100);
  assert.equal(out.visor.visor_3, 0);
  assert.equal(out.per_image.length, 8);
  assert.equal(out.per_image[0].file, '0_0.png');
  assert.equal(out.per_image[1].relations[0].visor, false);

  const rw = await cli(['--prompts', path.join(dir, 'manifest.jsonl'), '--variant', 'rewrite', '--benchmark', 'visor', '--format', 'text']);
  assert.equal(rw.code, 0, rw.err);
  assert.match(rw.out, /OA 100\.00 {3}cond 100\.00 {3}uncond 100\.00/);
  assert.match(rw.out, /VISOR-4 100\.00/);
  assert.doesNotMatch(rw.out, /T2I-CompBench/);
});

test('evaluate: VISOR images with the embedded detector', { skip: sharedDataMissing('visor-images/stable-diffusion') || detectorMissing() }, async () => {
  // Two images of two of the 25 prompts keep this to a few seconds on CI's two cores.
  const dir = tmp();
  for (const id of ['5015', '887']) {
    for (let k = 0; k < 2; k++) fs.copyFileSync(sharedData('visor-images', 'stable-diffusion', `${id}_${k}.png`), path.join(dir, `${id}_${k}.png`));
  }
  const r = await cli(['--prompts', sharedData('sr2d', 'text_spatial_rel_phrases.json'), '--images', dir, '--threshold', '0.1']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.visor.images, 4);
  assert.equal(out.visor.prompts, 2);
  if (out.visor.oa > 0) assert.ok(Math.abs(out.visor.uncond - (out.visor.cond * out.visor.oa) / 100) < 1e-9);
  assert.deepEqual(out.per_image.map((p: { file: string }) => p.file), ['887_0.png', '887_1.png', '5015_0.png', '5015_1.png']);
  for (const p of out.per_image as Array<{ prompt: string; detections: Array<{ label: string; score: number; x: number; y: number; w: number; h: number }>; visor: { bothDetected: boolean; correct: boolean }; relations: Array<{ visor: boolean | null; pairs: { visor: [number, number] | null } }> }>) {
    // Verdicts follow from the reported boxes: VISOR holds when any (A box, B box) pair has its
    // centres ((xmin + xmax) / 2) in order, and the reported pair is one that does.
    const [a, b] = p.prompt.startsWith('an orange') ? ['orange', 'train'] : ['stop sign', 'bicycle'];
    const as = p.detections.filter((d) => d.label === a);
    const bs = p.detections.filter((d) => d.label === b);
    assert.equal(p.visor.bothDetected, as.length > 0 && bs.length > 0);
    const cy = (d: { y: number; h: number }): number => (d.y + (d.y + d.h)) / 2;
    const holds = (x: { y: number; h: number }, y: { y: number; h: number }): boolean => (p.prompt.includes('above') ? cy(x) < cy(y) : cy(x) > cy(y));
    const want = as.some((x) => bs.some((y) => holds(x, y)));
    assert.equal(p.visor.correct, want);
    if (p.visor.bothDetected) assert.equal(p.relations[0].visor, want);
    const pair = p.relations[0].pairs.visor;
    if (want) assert.ok(pair && holds(p.detections[pair[0]], p.detections[pair[1]]));
    else assert.equal(pair, null);
    assert.ok(p.detections.every((d) => d.score > 0.1 && [a, b].includes(d.label)));
  }
});

test('evaluate: a prompts file (ids = line numbers, parsed with the parser) on a real photo', { skip: detectorMissing() }, async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a cat to the left of a dog\na zorblax above a cat\n');
  fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'detect', 'chelsea.png'), path.join(dir, '1_0.png'));
  fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'detect', 'chelsea.png'), path.join(dir, '2_0.png'));
  const r = await cli(['--prompts', path.join(dir, 'p.txt'), '--images', dir]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  const [first, second] = out.per_image;
  assert.equal(first.prompt_id, '1');
  assert.ok(first.detections.some((d: { label: string }) => d.label === 'cat'), 'Chelsea is a cat');
  // Whether the detector also sees a dog in the photo, the verdict must follow from its boxes.
  const dog = first.detections.some((d: { label: string }) => d.label === 'dog');
  assert.equal(first.relations[0].status === 'unknown', !dog);
  assert.equal(first.visor.bothDetected, dog);
  // A noun COCO cannot know is reported, and that image leaves VISOR's figures.
  assert.deepEqual(second.unknown_nouns, ['zorblax']);
  assert.equal(second.visor, null);
  assert.equal(out.visor.images, 1);
  assert.equal(out.visor.oa, dog ? 100 : 0);
});

function detectorMissing(): string | false {
  return fs.existsSync(path.join(repoRoot, 'src', 'detect', 'index.ts')) ? false : 'src/detect has not landed';
}
