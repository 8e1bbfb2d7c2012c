/** `spright-lens batch`: argument and input errors, and (with the detector) a run on sd-tiny. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import batchCommand, { readBatchPrompts } from '../../src/cli/commands/batch';
import { InputError, UsageError } from '../../src/cli/command';
import type { CliContext } from '../../src/cli/command';
import * as zlib from 'node:zlib';
import { parseManifest } from '../../src/batch';
import { chooseCandidate } from '../../src/evaluate';
import { readPngText } from '../../src/image';
import { fixture, repoRoot } from './helpers/paths';
import { loadableCopy, tinyVariants } from './renderFixture';

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-batchcli-'));
  temps.push(d);
  return d;
};

async function run(
  args: string[],
  cwd: string,
  signal = new AbortController().signal,
  onErr?: (text: string) => void,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  // stderr is seen as it is written (synchronously), so a test can react to a progress line.
  const stderr = new Writable({
    write(chunk: Buffer, _enc, done) {
      err += chunk.toString();
      onErr?.(chunk.toString());
      done();
    },
  });
  const ctx: CliContext = { stdout, stderr, stdin: new PassThrough(), cwd, env: {}, signal };
  // Same mapping as src/cli/main.ts for exit 2.
  try {
    return { code: await batchCommand.run(args, ctx), out, err };
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) return { code: 2, out, err: err + e.message };
    throw e;
  }
}

test('batch: usage and input errors are one specific line', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\n');
  const cases: Array<[string[], RegExp]> = [
    [['--prompts', 'p.txt', '--out', 'o'], /--model DIR is required/],
    [['--model', 'm', '--out', 'o'], /--prompts FILE is required/],
    [['--model', 'm', '--prompts', 'p.txt'], /--out DIR is required/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--rewrite', 'maybe'], /--rewrite must be off, only or both/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--size', '500x512'], /--size: width must be a multiple of 8 from 8 to 4096 pixels, got 500/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--size', '100000x100000'], /--size: width must be a multiple of 8 from 8 to 4096 pixels, got 100000/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--images-per-prompt', '0'], /--images-per-prompt must be an integer from 1 to 100/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--images-per-prompt', '100000'], /--images-per-prompt must be an integer from 1 to 100/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--steps', '5000'], /--steps must be an integer from 1 to 1000/],
    [['--model', 'm', '--prompts', 'p.txt', '--out', 'o', '--scheduler', 'plms'], /--scheduler must be one of/],
    [['--model', 'm', '--prompts', 'nope.txt', '--out', 'o'], /nope\.txt: no such file/],
    [['--model', 'missing-model', '--prompts', 'p.txt', '--out', 'o'], /missing-model: expected a Stable Diffusion ONNX model folder; found no such folder/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args, dir);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
  }
});

test('batch: a folder that is not a model export fails before any output folder is made', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\n');
  fs.mkdirSync(path.join(dir, 'not-a-model'));
  const r = await run(['--model', 'not-a-model', '--prompts', 'p.txt', '--out', 'o'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /scheduler_config\.json: expected .*found no such file/);
  assert.equal(fs.existsSync(path.join(dir, 'o')), false);
});

test('batch: prompt ids are line numbers, file-stem prefixed with several files; SR2D keeps unique_id', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'a.txt'), 'a dog to the left of a cat\n\na cup above a book\n');
  fs.writeFileSync(path.join(dir, 'b.prompts'), 'a car below a tree\n');
  fs.writeFileSync(
    path.join(dir, 'sr2d.json'),
    JSON.stringify([{ unique_id: 1824, num_objects: 2, obj_1_attributes: ['horse'], obj_2_attributes: ['bowl'], rel_type: 'above', text: 'a horse above a bowl' }]),
  );
  const one = readBatchPrompts(['a.txt'], dir);
  assert.deepEqual(one.map((p) => p.id), ['1', '3']);
  assert.equal(one[1].evalPrompt.relations[0]?.relation, 'above');
  const two = readBatchPrompts(['a.txt', 'b.prompts'], dir);
  assert.deepEqual(two.map((p) => p.id), ['a-1', 'a-3', 'b-1']);
  const sr = readBatchPrompts(['sr2d.json'], dir);
  assert.equal(sr[0].id, '1824');
  assert.deepEqual(sr[0].evalPrompt.objects.map((o) => o.noun), ['horse', 'bowl']);
});

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const detectMissing = fs.existsSync(path.join(repoRoot, 'src', 'detect', 'index.ts')) ? false : 'src/detect has not landed';

test('batch CLI on sd-tiny with the embedded detector: report folder, resume, Ctrl-C', { skip: !variant ? 'no sd-tiny fixture' : detectMissing }, async () => {
  const dir = tmp();
  const model = loadableCopy(variant!);
  temps.push(model);
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\na cup above a book\n');
  const args = ['--model', model, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '1', '--size', '64x64', '--steps', '2', '--rewrite', 'both', '--provider', 'cpu'];
  // Ctrl-C as the second image starts (its progress line says 1 of 4 done): the run finishes that
  // image, stops, keeps a consistent folder and exits 130, whatever the machine's speed.
  const stop = new AbortController();
  const first = await run(args, dir, stop.signal, (text) => {
    if (/^1\/4 /m.test(text)) stop.abort();
  });
  assert.equal(first.code, 130, first.err);
  const partial = parseManifest(fs.readFileSync(path.join(dir, 'out', 'manifest.jsonl'), 'utf8')).records.length;
  assert.equal(partial, 2, 'the image in progress at Ctrl-C is finished, no more');
  const second = await run(args, dir);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, new RegExp(`${4 - partial} rendered, ${partial} already done, 4 in all`));
  assert.match(second.out, /report: .*report\.html/);
  const { records } = parseManifest(fs.readFileSync(path.join(dir, 'out', 'manifest.jsonl'), 'utf8'));
  assert.equal(records.length, 4);
  assert.ok(fs.existsSync(path.join(dir, 'out', 'rewrite', '2_0.png')));
  const changed = await run([...args.slice(0, -4), '--steps', '3', '--provider', 'cpu'], dir);
  assert.equal(changed.code, 2);
  assert.match(changed.err, /other options \(steps 2 -> 3\); use a new --out folder, or --force/);
});

test('batch CLI --best-of on sd-tiny: candidates kept, the best chosen under the VISOR name, the gain printed', { skip: !variant ? 'no sd-tiny fixture' : false }, async () => {
  const dir = tmp();
  const model = loadableCopy(variant!);
  temps.push(model);
  // The random tiny OWL-ViT finds boxes with varied scores in noise, so the choice has work.
  const owl = tmp();
  for (const f of ['model.onnx', 'preprocessor_config.json']) fs.copyFileSync(fixture('owlvit-tiny', f), path.join(owl, f));
  for (const f of ['vocab.json', 'merges.txt']) fs.writeFileSync(path.join(owl, f), zlib.gunzipSync(fs.readFileSync(fixture('clip-tokenizer', `${f}.gz`))));
  fs.writeFileSync(path.join(owl, 'tokenizer_config.json'), JSON.stringify({ pad_token: '!', model_max_length: 16 }));
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\na cup above a book\n');
  const args = ['--model', model, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '2', '--size', '64x64', '--steps', '2', '--provider', 'cpu', '--best-of', '3', '--detector', `owlvit:${owl}`, '--threshold', '0'];
  const r = await run(args, dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /4 rendered, 0 already done, 4 in all, 12 candidates rendered/);
  assert.match(r.out, /best of 3 \(VISOR\): every relation satisfied in \d+\.\d% of 4 images with the chosen candidate, \d+\.\d% with candidate 0 alone \(picked and scored by owlvit:.*: the same detector, so the gain is an upper bound\)/);
  assert.match(r.err, /1_0 candidate 2\/3/);
  const out = path.join(dir, 'out');
  const { records, candidates } = parseManifest(fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8'));
  assert.equal(records.length, 4);
  assert.equal(candidates.length, 0);
  for (const rec of records) {
    const b = rec.best_of!;
    assert.equal(b.candidates.length, 3);
    // Image k's candidates: seed k, k + 2, k + 4 (seed 0, two images per prompt).
    assert.deepEqual(b.candidates.map((c) => c.seed), [rec.k, rec.k + 2, rec.k + 4]);
    // The recorded choice is the core's choice over the recorded scores, and its bytes are under the VISOR name.
    assert.equal(b.chosen, chooseCandidate(b.candidates, { n: 3, untilSatisfied: false }).chosen);
    assert.equal(rec.seed, b.candidates[b.chosen]!.seed);
    assert.deepEqual(fs.readFileSync(path.join(out, rec.file)), fs.readFileSync(path.join(out, b.candidates[b.chosen]!.file)));
    assert.equal(readPngText(fs.readFileSync(path.join(out, rec.file))).seed, String(rec.seed));
  }
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.best_of.candidates, 12);
  assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /<h2>Best of 3<\/h2>/);
  // Resume: nothing to render.
  const again = await run(args, dir);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /0 rendered, 4 already done, 4 in all, 0 candidates rendered/);

  const bad = await run([...args, '--rule', 'clip'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--rule must be visor, t2i-compbench or geneval/);
});
