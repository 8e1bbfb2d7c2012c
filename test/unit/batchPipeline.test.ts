/** The batch end to end through the inference service and the real ONNX pipeline on the tiny fixture model. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseManifest, runBatch, serviceBatchDeps } from '../../src/batch';
import type { BatchDeps, BatchPrompt } from '../../src/batch';
import { promptFromParsed } from '../../src/evaluate';
import { decodePng, readPngText } from '../../src/image';
import { parsePrompt } from '../../src/parser';
import { InProcessService } from '../../src/service/inProcess';
import { loadableCopy, tinyVariants } from './renderFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const temps: string[] = [];
const service = new InProcessService();
after(() => {
  service.dispose();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

test('batch on the sd-tiny fixture: real renders, rewrite A/B with the same seeds, resume', { skip: variant ? false : 'no sd-tiny fixture' }, async () => {
  const model = loadableCopy(variant!);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-batch-tiny-'));
  temps.push(model, out);
  const texts = ['a dog to the left of a cat', 'a cup above a book'];
  const prompts: BatchPrompt[] = texts.map((text, i) => ({
    id: String(i + 1),
    text,
    source: `inline:${i + 1}`,
    evalPrompt: promptFromParsed(String(i + 1), parsePrompt(text)),
  }));
  const options = {
    prompts,
    outDir: out,
    imagesPerPrompt: 2,
    seed: 11,
    rewrite: 'both' as const,
    render: { model, steps: 2, guidance: 5, width: 64, height: 64, scheduler: 'ddim', modelId: 'fake-model' },
    detection: { detector: 'fixed', threshold: 0 },
  };
  // The same render and detect the CLI and the editor use, over the service in this process...
  const real = serviceBatchDeps(service, options, { provider: 'cpu', detector: { kind: 'embedded' }, floor: 0 });
  const rendered: string[] = [];
  const deps: BatchDeps = {
    ...real,
    render: (job, file, signal, onStep) => {
      rendered.push(`${job.variant}/${job.promptId}/${job.k}`);
      return real.render(job, file, signal, onStep);
    },
    // ...except detection: a noise model draws no objects, so the boxes go where the prompt wants
    // them and the rules have work.
    async detect(file, labels) {
      const img = decodePng(fs.readFileSync(file));
      return [
        { label: labels[0]!, score: 0.8, x: 2, y: 2, w: img.width / 3, h: img.height / 3 },
        { label: labels[1]!, score: 0.7, x: img.width / 2, y: img.height / 2, w: img.width / 3, h: img.height / 3 },
      ];
    },
  };
  const res = await runBatch(options, deps);
  assert.equal(res.rendered, 8);
  const { records } = parseManifest(fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8'));
  assert.equal(records.length, 8);
  for (const r of records) {
    const png = fs.readFileSync(path.join(out, r.file));
    assert.equal(decodePng(png).width, 64);
    // The pipeline's own PNG metadata says which text and seed made the image.
    const meta = readPngText(png);
    assert.equal(meta.seed, String(r.seed));
    assert.equal(meta.prompt, r.variant === 'rewrite' ? r.rewrite : r.prompt);
    assert.ok(r.timings.render_ms > 0);
  }
  const rw = records.find((r) => r.variant === 'rewrite' && r.prompt_id === '1')!;
  assert.notEqual(rw.rewrite, rw.prompt);
  assert.match(rw.rewrite!, /dog/);
  assert.match(rw.rewrite!, /cat/);
  // Same seed, different text: a different image.
  const orig = fs.readFileSync(path.join(out, '1_0.png'));
  const rew = fs.readFileSync(path.join(out, 'rewrite', '1_0.png'));
  assert.notDeepEqual(decodePng(orig).data, decodePng(rew).data);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  // dog box top-left of cat box: left_of holds; cup top-left of book: above holds.
  assert.equal(summary.variants.original.visor.uncond, 100);
  assert.equal(summary.variants.rewrite.visor.images, 4);
  const again = await runBatch(options, deps);
  assert.equal(again.rendered, 0);
  assert.equal(rendered.length, 8);
});
