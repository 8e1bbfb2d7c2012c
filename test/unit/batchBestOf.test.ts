/** Best-of-N batches with fake render and detect: the choice, the manifest, resume and re-judging. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { parseManifest, runBatch } from '../../src/batch';
import type { BatchDeps, BatchOptions, ManifestRecord, RenderJob } from '../../src/batch';
import { parseImageName } from '../../src/evaluate';
import { createImage, encodePng, readPngText } from '../../src/image';
import { writeFileAtomic } from '../../src/io/atomic';
import type { Detection } from '../../src/protocol/geometry';
import { prompt, SIZE } from '../fixtures/evaluate/batchFakes';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'spright-bestof-'));
}

/** What the fake detector sees in the image of a seed: A left of B or not, and how sure it is. */
interface Scene {
  correct: boolean;
  score: number;
}

/** Default scenes: seeds 2 mod 3 are right; confidence grows with the seed's last digit. */
const defaultScene = (seed: number): Scene => ({ correct: seed % 3 === 2, score: 0.5 + (seed % 5) * 0.1 });

interface Fakes extends BatchDeps {
  renders: string[];
  detects: string[];
}

function fakes(scene: (seed: number) => Scene = defaultScene): Fakes {
  const renders: string[] = [];
  const detects: string[] = [];
  let clock = 0;
  return {
    renders,
    detects,
    async render(job: RenderJob, file, signal, onStep) {
      renders.push(`${job.variant}/${job.promptId}/${job.k}/${job.seed}`);
      onStep(1, 1);
      if (signal.aborted) throw new Error('aborted');
      const img = createImage(SIZE, SIZE);
      img.data.fill(job.seed % 251);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, encodePng(img, { seed: String(job.seed) }));
      return { width: SIZE, height: SIZE };
    },
    async detect(file, labels): Promise<Detection[]> {
      const seed = Number(readPngText(await readFile(file)).seed);
      detects.push(String(seed));
      const { correct, score } = scene(seed);
      const [a, b] = labels;
      return [
        { label: a!, score, x: correct ? 4 : 40, y: 20, w: 16, h: 16 },
        { label: b!, score, x: correct ? 40 : 4, y: 20, w: 16, h: 16 },
      ];
    },
    rewrite: (text) => `${text}. The first object is on the left side.`,
    now: () => (clock += 10),
  };
}

function options(outDir: string, n: number, over: Partial<BatchOptions> = {}, untilSatisfied = false): BatchOptions {
  return {
    prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book')],
    outDir,
    imagesPerPrompt: 2,
    seed: 42,
    rewrite: 'off',
    render: {
      model: 'fake',
      steps: 2,
      guidance: 7.5,
      width: SIZE,
      height: SIZE,
      scheduler: 'ddim',
      modelId: 'fake-model',
      ...(n > 1 ? { bestOf: { n, untilSatisfied, rule: 'visor' as const } } : {}),
    },
    detection: { detector: 'fake', threshold: 0 },
    ...over,
  };
}

function manifest(dir: string): ReturnType<typeof parseManifest> {
  return parseManifest(fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8'));
}

const byImage = (records: ManifestRecord[]): Map<string, ManifestRecord> => new Map(records.map((r) => [`${r.prompt_id}_${r.k}`, r]));

test('best of 3: every candidate kept and recorded, the best copied to the VISOR name, the gain reported', async () => {
  const dir = tmp();
  const deps = fakes();
  const res = await runBatch(options(dir, 3), deps);
  assert.equal(res.total, 4);
  assert.equal(res.rendered, 4);
  assert.equal(res.candidatesRendered, 12);
  // Image k of a prompt: candidates seed + k + j x 2.
  assert.deepEqual(deps.renders.filter((r) => r.startsWith('original/0/0/')), ['original/0/0/42', 'original/0/0/44', 'original/0/0/46']);
  const { records, candidates, corrupted } = manifest(dir);
  assert.equal(corrupted.length, 0);
  assert.equal(candidates.length, 0, 'candidate lines are compacted away once every image is chosen');
  assert.equal(records.length, 4);
  const img = byImage(records);
  // k = 0: 42, 44, 46 -> only 44 (2 mod 3) puts the dog left of the cat.
  const r0 = img.get('0_0')!;
  assert.equal(r0.best_of?.chosen, 1);
  assert.equal(r0.seed, 44);
  assert.equal(r0.file, '0_0.png');
  assert.deepEqual(r0.best_of?.candidates.map((c) => [c.seed, c.file, c.score.satisfied]), [
    [42, 'candidates/0_0.c0.png', 0],
    [44, 'candidates/0_0.c1.png', 1],
    [46, 'candidates/0_0.c2.png', 0],
  ]);
  assert.equal(r0.relations[0]!.status, 'satisfied');
  assert.equal(r0.best_of?.picked_by, 'fake');
  assert.deepEqual(r0.parameters.bestOf, { n: 3, untilSatisfied: false, rule: 'visor' });
  // k = 1: 43, 45, 47 -> 47.
  assert.equal(img.get('0_1')!.seed, 47);
  // The chosen image is its candidate's bytes under the plain name.
  assert.deepEqual(fs.readFileSync(path.join(dir, '0_0.png')), fs.readFileSync(path.join(dir, 'candidates/0_0.c1.png')));
  // evaluate --images lists the folder itself: only the chosen images carry VISOR names there.
  const visorNames = fs.readdirSync(dir).filter((f) => parseImageName(f) !== null);
  assert.deepEqual(visorNames.sort(), ['0_0.png', '0_1.png', '1_0.png', '1_1.png']);
  assert.ok(fs.readdirSync(path.join(dir, 'candidates')).every((f) => parseImageName(f) === null), 'candidate names never parse as VISOR names');

  // summary.json: every chosen image satisfies the relation; candidate 0 alone never does.
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.variants.original.visor.uncond, 100);
  assert.equal(summary.best_of.n, 3);
  assert.equal(summary.best_of.upper_bound, true);
  assert.equal(summary.best_of.candidates, 12);
  assert.deepEqual(
    summary.best_of.gains.map((g: { set: string; images: number; seed0_pct: number; chosen_pct: number }) => [g.set, g.images, g.seed0_pct, g.chosen_pct]),
    [
      ['test', 4, 0, 100],
    ],
  );
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h2>Best of 3<\/h2>/);
  assert.match(html, /the gain is an upper bound/);
  assert.match(html, /Picked and scored by the same detector, fake/);
  assert.match(html, /<td>0\.0%<\/td><td>100\.0%<\/td><td>\+100\.0<\/td>/);
  assert.match(html, /href="candidates\/0_0\.c2\.png">seed 46<\/a>/);
  assert.match(html, /seed 44<\/a> ✔1 ✘0 · 2\/2 found ← chosen/);

  // Nothing left to do on a second run.
  const again = await runBatch(options(dir, 3), deps);
  assert.equal(again.skipped, 4);
  assert.equal(deps.renders.length, 12);
});

test('until satisfied: rendering stops at the first candidate that satisfies every relation', async () => {
  const dir = tmp();
  const deps = fakes();
  await runBatch(options(dir, 3, {}, true), deps);
  // k = 0: 42 wrong, 44 right -> stop; k = 1: 43, 45 wrong, 47 right.
  assert.deepEqual(deps.renders.filter((r) => r.startsWith('original/0/')), ['original/0/0/42', 'original/0/0/44', 'original/0/1/43', 'original/0/1/45', 'original/0/1/47']);
  const r0 = byImage(manifest(dir).records).get('0_0')!;
  assert.equal(r0.best_of?.candidates.length, 2);
  assert.equal(r0.best_of?.until_satisfied, true);
  assert.equal(r0.seed, 44);
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /stopped at the first that satisfied every relation/);
});

test('a stop between candidates keeps them as candidate lines; the resume renders only the rest', async () => {
  const dir = tmp();
  const deps = fakes();
  const stop = new AbortController();
  const first = await runBatch(options(dir, 3), deps, { onProgress: (p) => p.current?.candidate === 1 && p.current.step === undefined && p.current.promptId === '0' && p.current.k === 1 && stop.abort() }, stop.signal);
  assert.equal(first.cancelled, true);
  // Image 0_0 finished (3 candidates), image 0_1 stopped after its candidate 1 (43, 45).
  assert.deepEqual(deps.renders, ['original/0/0/42', 'original/0/0/44', 'original/0/0/46', 'original/0/1/43', 'original/0/1/45']);
  const mid = manifest(dir);
  assert.equal(mid.records.length, 1);
  assert.deepEqual(mid.candidates.map((c) => [c.image.prompt_id, c.image.k, c.seed]), [
    ['0', 1, 43],
    ['0', 1, 45],
  ]);
  const second = await runBatch(options(dir, 3), deps);
  assert.equal(second.skipped, 1);
  assert.equal(new Set(deps.renders).size, deps.renders.length, `a candidate was rendered twice: ${deps.renders.join(' ')}`);
  assert.equal(deps.renders.length, 12);
  const done = manifest(dir);
  assert.equal(done.records.length, 4);
  assert.equal(done.candidates.length, 0);
  assert.deepEqual(byImage(done.records).get('0_1')!.best_of?.candidates.map((c) => c.seed), [43, 45, 47]);
});

test('another threshold chooses again from the recorded detections, without rendering or detecting', async () => {
  const dir = tmp();
  // k = 0 (seeds 42, 44, 46): 44 right but unsure, 46 right and sure; 42 wrong.
  const scene = (seed: number): Scene => (seed === 44 ? { correct: true, score: 0.95 } : seed === 46 ? { correct: true, score: 0.4 } : { correct: false, score: 0.9 });
  const deps = fakes(scene);
  const opts = (threshold: number) => options(dir, 3, { prompts: [prompt('0', 'dog', 'cat')], imagesPerPrompt: 1, seed: 44, detection: { detector: 'fake', threshold, floor: 0.05 } });
  // Seeds 44, 45, 46 for image 0: 44 right and sure -> chosen.
  await runBatch(opts(0.3), deps);
  assert.equal(byImage(manifest(dir).records).get('0_0')!.seed, 44);
  const renders = deps.renders.length;
  const detects = deps.detects.length;
  // At 0.96 nothing is found in any candidate: the tie goes to the lowest seed.
  const res = await runBatch(opts(0.96), deps);
  assert.equal(deps.renders.length, renders, 'no render');
  assert.equal(deps.detects.length, detects, 'no detection: the floor covers the threshold');
  assert.equal(res.redetected, 0);
  assert.equal(res.skipped, 1, 'the same choice: nothing to redo');
  const r = byImage(manifest(dir).records).get('0_0')!;
  assert.equal(r.threshold, 0.96);
  assert.equal(r.best_of?.candidates.every((c) => c.score.found === 0), true);
});

test('when the threshold changes the choice, the chosen image is replaced without rendering', async () => {
  const dir = tmp();
  // Image 0: seeds 44 (right, unsure: 0.4) and 45 (right, sure: 0.9).
  const scene = (seed: number): Scene => (seed === 44 ? { correct: true, score: 0.4 } : { correct: seed === 45, score: 0.9 });
  const deps = fakes(scene);
  const opts = (threshold: number) => options(dir, 2, { prompts: [prompt('0', 'dog', 'cat')], imagesPerPrompt: 1, seed: 44, detection: { detector: 'fake', threshold, floor: 0.05 } });
  await runBatch(opts(0.1), deps);
  // Both right; 45 more confident.
  assert.equal(byImage(manifest(dir).records).get('0_0')!.seed, 45);
  assert.deepEqual(fs.readFileSync(path.join(dir, '0_0.png')), fs.readFileSync(path.join(dir, 'candidates/0_0.c1.png')));
  await runBatch(opts(0.95), deps);
  // Nothing found anywhere: the lower seed wins, and its bytes replace 0_0.png.
  const r = byImage(manifest(dir).records).get('0_0')!;
  assert.equal(r.seed, 44);
  assert.deepEqual(fs.readFileSync(path.join(dir, '0_0.png')), fs.readFileSync(path.join(dir, 'candidates/0_0.c0.png')));
  assert.equal(deps.renders.length, 2, 'no render');
});

test('turning best-of on over a plain batch keeps its images as candidate 0; N down re-chooses, another detector detects again', async () => {
  const dir = tmp();
  const deps = fakes();
  await runBatch(options(dir, 1), deps);
  assert.equal(deps.renders.length, 4);
  assert.equal(manifest(dir).records[0]!.best_of, undefined, 'a plain batch writes plain lines');
  const plain00 = fs.readFileSync(path.join(dir, '0_0.png'));

  const up = await runBatch(options(dir, 3), deps);
  // Candidate 0 of each image is the plain image: only candidates 1 and 2 are rendered.
  assert.equal(up.candidatesRendered, 8);
  assert.equal(deps.renders.length, 12);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'candidates/0_0.c0.png')), plain00);
  assert.equal(byImage(manifest(dir).records).get('0_0')!.seed, 44);

  // N = 2: candidates 0 and 1 take part; for k = 1 (43, 45) neither is right, so the surer wins: 43 (0.8 against 0.5).
  const down = await runBatch(options(dir, 2), deps);
  assert.equal(deps.renders.length, 12, 'no render');
  assert.equal(down.rendered, 0);
  const r01 = byImage(manifest(dir).records).get('0_1')!;
  assert.deepEqual(r01.best_of?.candidates.map((c) => c.seed), [43, 45]);
  assert.equal(r01.seed, 43);

  // Another detector: every candidate that takes part is detected again, none rendered.
  const detects = deps.detects.length;
  const other = await runBatch(options(dir, 2, { detection: { detector: 'fake-2', threshold: 0 } }), deps);
  assert.equal(deps.renders.length, 12);
  assert.equal(deps.detects.length - detects, 8);
  assert.equal(other.redetected, 4);
  assert.ok(manifest(dir).records.every((r) => r.best_of?.picked_by === 'fake-2' && r.best_of.candidates.every((c) => c.detector === 'fake-2')));

  // Back to a plain batch: an image whose choice was candidate 0 is kept as it is.
  const plain = await runBatch(options(dir, 1, { detection: { detector: 'fake-2', threshold: 0 } }), deps);
  assert.ok(plain.skipped >= 1);
  assert.ok(manifest(dir).records.every((r) => r.best_of === undefined));
});

test('best-of options are checked before any work', async () => {
  const dir = tmp();
  await assert.rejects(runBatch(options(dir, 17), fakes()), /best-of must be a whole number from 1 to 16, got 17/);
  await assert.rejects(runBatch(options(dir, 3, { seed: 0xffffffff - 3 }), fakes()), /needs seeds 4294967292\.\.4294967297, and seeds run from 0 to 4294967295/);
  assert.equal(fs.existsSync(path.join(dir, 'manifest.jsonl')), false);
});
