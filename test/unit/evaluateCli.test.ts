import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import evaluateCommand from '../../src/cli/commands/evaluate';
import batchCommand from '../../src/cli/commands/batch';
import renderCommand from '../../src/cli/commands/render';
import { InputError, UsageError } from '../../src/cli/command';
import type { CliContext, Command } from '../../src/cli/command';
import { runBatch, summarize } from '../../src/batch';
import { evaluateImages } from '../../src/evaluate';
import type { ImageJob } from '../../src/evaluate';
import { createImage, encodePng } from '../../src/image';
import { fakeDeps, prompt, SIZE } from '../fixtures/evaluate/batchFakes';
import { repoRoot, sharedData, sharedDataMissing } from './helpers/paths';
import { loadableCopy, tinyVariants } from './renderFixture';

async function cli(args: string[], cwd = process.cwd(), command: Command = evaluateCommand): Promise<{ code: number; out: string; err: string }> {
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
    code = await command.run(args, ctx);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e;
    err += `spright-lens ${command.name}: ${e.message}\n`;
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
      render: { model: 'fake', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim', modelId: 'fake-model' },
      detection: { detector: 'fake', threshold: 0 },
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

const tinyVariant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const needsRenderAndDetect = (): string | false => (tinyVariant ? detectorMissing() : 'no sd-tiny fixture');

test('evaluate on a batch manifest gives the figures of that batch\'s summary.json, nouns outside the vocabulary too', { skip: needsRenderAndDetect() }, async () => {
  // The real batch command: the embedded detector knows COCO, so "zorblax" is outside its
  // vocabulary and its images leave VISOR's figures, in the summary and in evaluate alike.
  const dir = tmp();
  const model = loadableCopy(tinyVariant!);
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\na zorblax to the left of a cat\n');
  const b = await cli(['--model', model, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '2', '--size', '64x64', '--steps', '2', '--provider', 'cpu'], dir, batchCommand);
  fs.rmSync(model, { recursive: true, force: true });
  assert.equal(b.code, 0, b.err);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'summary.json'), 'utf8')).variants.original;
  const r = await cli(['--prompts', path.join(dir, 'out', 'manifest.jsonl')]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.visor.images, 2, 'only the dog/cat images are VISOR images');
  assert.deepEqual(out.visor, summary.visor);
  assert.deepEqual(out.t2i_compbench, summary.t2i_compbench);
  assert.deepEqual(out.geneval, summary.geneval);
  assert.deepEqual(out.per_relation, summary.per_relation);
  assert.deepEqual(out.per_image[2].unknown_nouns, ['zorblax']);
});

test('one evaluation path: summarize() and evaluateImages() on the same records give identical figures', async () => {
  const dir = tmp();
  // Detector "embedded": COCO vocabulary for both paths, from the manifest itself.
  const prompts = [prompt('0', 'dog', 'cat'), prompt('1', 'zorblax', 'cat'), prompt('2', 'cup', 'book')];
  const result = await runBatch(
    { prompts, outDir: dir, imagesPerPrompt: 3, seed: 1, rewrite: 'off', render: { model: 'fake', modelId: 'fake-model', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim' }, detection: { detector: 'embedded', threshold: 0 } },
    fakeDeps(),
  );
  const jobs: ImageJob[] = result.records.map((r) => ({ file: r.file, promptId: r.prompt_id, k: r.k, prompt: r.eval_prompt, detections: r.detections, detector: r.parameters.detector }));
  const streamed = await evaluateImages(jobs, { detect: () => Promise.reject(new Error('nothing to detect')) });
  const { images, ...summary } = summarize(result.records).variants.original!;
  assert.equal(images, 9);
  assert.deepEqual(streamed.summary, summary);
  assert.equal(summary.visor.images, 6);
  assert.equal(summary.visor.oa, 100);
});

test('evaluateImages judges and hands on one image at a time', async () => {
  const handed: string[] = [];
  let finished = 0;
  async function* source(): AsyncGenerator<ImageJob> {
    for (let k = 0; k < 3; k++) {
      // The previous image is done (handed on, or skipped) before the next one is even read.
      assert.equal(finished, k);
      const p = prompt('0', 'dog', 'cat').evalPrompt;
      yield { file: `0_${k}.png`, promptId: '0', k, prompt: p, detections: null, detector: 'embedded' };
    }
  }
  const detect = (job: ImageJob): Promise<null | Array<{ label: string; score: number; x: number; y: number; w: number; h: number }>> => {
    if (job.k !== 1) return Promise.resolve([{ label: 'dog', score: 0.9, x: 0, y: 0, w: 10, h: 10 }]);
    finished++; // an unreadable image: skipped
    return Promise.resolve(null);
  };
  const r = await evaluateImages(source(), { detect }, { onImage: (p) => void (handed.push(p.file), finished++) });
  assert.deepEqual(handed, ['0_0.png', '0_2.png']);
  assert.equal(r.images, 2);
  assert.equal(r.skipped, 1);
  assert.equal(r.summary.visor.oa, 0);
});

test('evaluate --format jsonl streams one line per image, then the aggregates', async () => {
  const dir = tmp();
  await runBatch(
    { prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book')], outDir: dir, imagesPerPrompt: 2, seed: 1, rewrite: 'off', render: { model: 'fake', modelId: 'fake-model', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim' }, detection: { detector: 'fake', threshold: 0 } },
    fakeDeps(),
  );
  const lines = (await cli(['--prompts', path.join(dir, 'manifest.jsonl'), '--format', 'jsonl'])).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l.type), ['image', 'image', 'image', 'image', 'summary']);
  assert.deepEqual(lines.slice(0, 4).map((l) => l.file), ['0_0.png', '0_1.png', '1_0.png', '1_1.png']);
  const json = JSON.parse((await cli(['--prompts', path.join(dir, 'manifest.jsonl')])).out);
  assert.deepEqual(lines[4].visor, json.visor);
  assert.deepEqual(Object.keys(json), ['per_image', 'visor', 't2i_compbench', 'geneval', 'per_relation']);
  // Each image says which boxes its verdicts rest on.
  assert.deepEqual((lines[0].relations as Array<{ pairs: unknown }>)[0].pairs, { visor: [0, 1], t2i_compbench: [0, 1], geneval: [0, 1] });
});

test('evaluate --images DIR alone judges render output by the prompt each PNG carries', { skip: needsRenderAndDetect() }, async () => {
  const dir = tmp();
  const model = loadableCopy(tinyVariant!);
  const render = (text: string, seed: number): Promise<{ code: number; err: string }> =>
    cli(['--model', model, '--prompt', text, '--out', 'renders', '--size', '64x64', '--steps', '1', '--seed', String(seed), '--provider', 'cpu'], dir, renderCommand);
  // The same prompt twice, with two seeds: two images of one prompt.
  for (const [text, seed] of [['a dog to the left of a cat', 3], ['a cup above a book', 3], ['a dog to the left of a cat', 4]] as const) assert.equal((await render(text, seed)).code, 0);
  fs.rmSync(model, { recursive: true, force: true });
  const renders = path.join(dir, 'renders');
  assert.equal(fs.readdirSync(renders).length, 3);
  // A PNG with no prompt chunk is left out with a note.
  fs.writeFileSync(path.join(renders, 'other.png'), encodePng(createImage(8, 8)));
  const r = await cli(['--images', renders, '--format', 'jsonl']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /1 PNG\(s\) carry no prompt text chunk/);
  const images = r.out.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'image');
  assert.deepEqual(images.map((i) => [i.prompt, i.prompt_id, i.k]), [
    ['a cup above a book', '1', 0],
    ['a dog to the left of a cat', '2', 0],
    ['a dog to the left of a cat', '2', 1],
  ]);
  assert.deepEqual(images.map((i) => i.relations[0].relation), ['above', 'left_of', 'left_of']);

  // A folder of PNGs without prompt chunks says what to do.
  const bare = tmp();
  fs.writeFileSync(path.join(bare, 'x.png'), encodePng(createImage(8, 8)));
  const none = await cli(['--images', bare]);
  assert.equal(none.code, 2);
  assert.match(none.err, /no PNG carries its prompt in a text chunk .*pass --prompts FILE/);
});

test('evaluate --prompts x.jsonl reads a prompts JSONL as prompts; a file that is neither is one clear error', { skip: detectorMissing() }, async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'x.jsonl'), '{"prompt": "a cat to the left of a dog"}\n{"text": "a cup above a book"}\n');
  fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'detect', 'chelsea.png'), path.join(dir, '1_0.png'));
  const r = await cli(['--prompts', path.join(dir, 'x.jsonl'), '--images', dir]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.deepEqual(out.per_image.map((p: { prompt_id: string; prompt: string }) => [p.prompt_id, p.prompt]), [['1', 'a cat to the left of a dog']]);

  fs.writeFileSync(path.join(dir, 'y.jsonl'), '{"foo": 1}\n');
  const bad = await cli(['--prompts', path.join(dir, 'y.jsonl'), '--images', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /y\.jsonl:1: a JSON object with keys foo; expected a batch manifest .*prompts JSONL .*SR2D JSON/);
  assert.equal(bad.err.trim().split('\n').length, 1);
});
