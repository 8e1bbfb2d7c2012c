/**
 * The batch on the queue, without processes: what a worker accepts as a job and what the
 * coordinator accepts as a result (forged or mismatched ones are refused, and a stored line is
 * always rebuilt from the coordinator's own prompt and settings), and failed images in the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchError, batchRecord, imageFile, renderKey, renderReport, summarize, type BatchOptions, type FailedImage, type PlannedImage } from '../../src/batch';
import { acceptRecord, batchImageWork, imageJob, queuedBatchProblem, runQueuedBatch, type BatchQueueSettings } from '../../src/queue/batch';
import { parseQueueUrl } from '../../src/queue/url';
import { ResultRefusedError } from '../../src/queue/collector';
import { JobDataError, type QueueBatch } from '../../src/queue/protocol';
import { prompt, SIZE } from '../fixtures/evaluate/batchFakes';

const settings: BatchQueueSettings = {
  render: { model: '/models/tiny', modelId: 'abc123', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'default' },
  detection: { detector: 'embedded', threshold: 0.3, floor: 0.05 },
};
const p = prompt('3', 'dog', 'cat');

function planned(k = 0, text = p.text): PlannedImage {
  const job = { promptId: p.id, variant: 'original' as const, k, text, seed: k, parameters: settings.render };
  return { ...job, key: renderKey(job), file: imageFile('original', p.id, k) };
}

const batch: QueueBatch = { version: 1, batchId: 'b0b0b0b0-0000', out: '/data/out', modelName: 'tiny', modelId: 'abc123', total: 2, settings, createdAt: '' };
const work = batchImageWork({ modelDir: '/models/tiny', detector: { kind: 'embedded' }, use: () => Promise.reject(new Error('no service in this test')) });
const workerRecord = (image: PlannedImage): unknown =>
  JSON.parse(JSON.stringify(batchRecord(image, p, { width: SIZE, height: SIZE }, [{ label: 'dog', score: 0.9, x: 1, y: 2, w: 10, h: 10 }], 0.05, { render_ms: 12, detect_ms: 3 }, settings)));

test('queued batch: a worker takes a job only when its key is the resume key of what it asks for', () => {
  const image = planned(1);
  const job = imageJob(image, p, batch.batchId);
  const ok = work.checkPayload(job, batch);
  assert.equal(ok.image.key, image.key);
  assert.equal(ok.image.file, '3_1.png');
  const tampered = { ...job, payload: { ...job.payload, text: 'a cat to the left of a dog' } };
  assert.throws(() => work.checkPayload(tampered, batch), (err: Error) => err instanceof JobDataError && /not the resume key of what it asks to render/.test(err.message));
  const elsewhere = { ...job, file: '3_0.png' };
  assert.throws(() => work.checkPayload(elsewhere, batch), (err: Error) => err instanceof JobDataError && /names "3_0\.png", not its image's file 3_1\.png/.test(err.message));
  const owl = { ...batch, settings: { ...settings, detection: { ...settings.detection, detector: 'owlvit:/models/owl' } } };
  assert.throws(() => work.checkPayload(job, owl), (err: Error) => err instanceof JobDataError && /detects with owlvit but this worker was started with --detector embedded/.test(err.message));
});

test('queued batch: the coordinator stores a line rebuilt from its own prompt, and refuses lines of other images', () => {
  const image = planned(0);
  const forged = workerRecord(image) as { eval_prompt: unknown; prompt: string; relations: unknown[] };
  forged.eval_prompt = { id: '3', text: 'x', objects: [], relations: [] };
  forged.prompt = '<script>';
  const stored = acceptRecord(image, p, settings, forged);
  assert.deepEqual(stored.eval_prompt, p.evalPrompt, 'the prompt comes from the coordinator');
  assert.equal(stored.prompt, p.text);
  assert.equal(stored.timings.render_ms, 12);
  assert.deepEqual(stored.raw_detections, [{ label: 'dog', score: 0.9, x: 1, y: 2, w: 10, h: 10 }]);
  assert.throws(() => acceptRecord(planned(1), p, settings, workerRecord(image)), (err: Error) => err instanceof ResultRefusedError && /describes another image/.test(err.message));
  const bad = workerRecord(image) as { raw_detections: unknown[] };
  bad.raw_detections = [{ label: 'dog', score: 'high', x: 0, y: 0, w: 1, h: 1 }];
  assert.throws(() => acceptRecord(image, p, settings, bad), ResultRefusedError);
  assert.throws(() => acceptRecord(image, p, settings, { nope: true }), (err: Error) => err instanceof ResultRefusedError && /not a manifest line/.test(err.message));
});

test('report: failed images are listed with their error and marked in the grid', () => {
  const options = { prompts: [p], detection: settings.detection } as unknown as BatchOptions;
  const record = acceptRecord(planned(0), p, settings, workerRecord(planned(0)));
  const failure: FailedImage = { render_key: planned(1).key, prompt_id: '3', variant: 'original', k: 1, seed: 1, file: '3_1.png', error: 'the UNet produced NaN/Infinity at step 2 of 2 <fp16>', attempts: 1, failed_at: '' };
  const html = renderReport([record], summarize([record]), { images: new Map(), prompts: options.prompts, failures: [failure] });
  assert.match(html, /<h2>Failed images<\/h2>/);
  assert.match(html, /<table id="failures">.*3_1\.png.*the UNet produced NaN\/Infinity at step 2 of 2 &lt;fp16&gt;/s);
  assert.match(html, /<td class="img missing failed" title="the UNet produced NaN\/Infinity at step 2 of 2 &lt;fp16&gt;">failed<\/td>/);
  assert.doesNotMatch(renderReport([record], summarize([record]), { images: new Map(), prompts: options.prompts }), /Failed images/);
});

test('queued batch: best-of and the ComfyUI backend are refused before the output folder or Redis is touched', async () => {
  assert.equal(queuedBatchProblem('onnx', 1), null);
  assert.equal(queuedBatchProblem(undefined, undefined), null);
  assert.match(queuedBatchProblem('comfyui', 1) ?? '', /queue workers render with the ONNX pipeline, not the comfyui backend; render this batch without the queue/);
  assert.match(queuedBatchProblem(undefined, 3) ?? '', /cannot choose the best of 3 candidates; render this batch without the queue, or without best-of/);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-qbest-'));
  try {
    const outDir = path.join(root, 'out');
    const options: BatchOptions = {
      prompts: [p],
      outDir,
      imagesPerPrompt: 1,
      seed: 0,
      rewrite: 'off',
      render: { ...settings.render, bestOf: { n: 2, untilSatisfied: false, rule: 'visor' } },
      detection: settings.detection,
    };
    // Port 1: nothing listens there, so reaching Redis would fail with another message.
    const target = parseQueueUrl('redis://127.0.0.1:1/0', {});
    await assert.rejects(
      runQueuedBatch({ options, target, mode: 'enqueue', follow: true }, { rewrite: (t) => t, detect: () => Promise.reject(new Error('no detection in this test')) }),
      (err: Error) => err instanceof BatchError && /^cannot queue this batch: queue workers render one image per job and cannot choose the best of 2 candidates/.test(err.message),
    );
    assert.equal(fs.existsSync(outDir), false, 'no output folder is made');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
