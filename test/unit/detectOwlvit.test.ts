/**
 * OWL-ViT option against test/fixtures/owlvit-tiny (a random tiny OwlViTForObjectDetection exported
 * by optimum, with transformers' own pre- and post-processed values): tokenization, decoding,
 * preprocessing and the full detector through onnxruntime-node.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import { createDetector, ModelLoadError } from '../../src/detect';
import { decodeOwlVit, loadOwlVitTokenizer, owlvitPixels, owlvitTextInputs, parsePreprocessor } from '../../src/detect/owlvit';
import { decodePng } from '../../src/image';
import { fixture } from './helpers/paths';

interface Tensor {
  shape: number[];
  b64: string;
}
interface Reference {
  text_queries: string[];
  input_ids: number[][];
  attention_mask: number[][];
  pixel_values: Tensor;
  logits: Tensor;
  pred_boxes: Tensor;
  post_process: { threshold: number; target_size: [number, number] };
  detections: Array<{ box_index: number; query: string; score: number; box: [number, number, number, number] }>;
}

const ref = JSON.parse(fs.readFileSync(fixture('owlvit-tiny', 'reference.json'), 'utf8')) as Reference;
const floats = (t: Tensor): Float32Array => {
  const b = Buffer.from(t.b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const nounOf = (query: string): string => query.replace(/^a photo of a /, '');
let modelDir: string;

before(() => {
  // An OWL-ViT export folder: the fixture's model + preprocessor, the real CLIP tokenizer files
  // with OWL-ViT's 16-token length.
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owlvit-tiny-'));
  for (const f of ['model.onnx', 'preprocessor_config.json']) fs.copyFileSync(fixture('owlvit-tiny', f), path.join(modelDir, f));
  for (const f of ['vocab.json', 'merges.txt']) {
    fs.writeFileSync(path.join(modelDir, f), zlib.gunzipSync(fs.readFileSync(fixture('clip-tokenizer', `${f}.gz`))));
  }
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ pad_token: '!', model_max_length: 16 }));
});
after(() => fs.rmSync(modelDir, { recursive: true, force: true }));

test('text inputs: "a photo of a {noun}" ids and mask equal OwlViTProcessor', () => {
  const tok = loadOwlVitTokenizer(modelDir);
  assert.equal(tok.maxLength, 16);
  const { inputIds, attentionMask } = owlvitTextInputs(tok, ref.text_queries.map(nounOf));
  assert.deepEqual([...inputIds].map(Number), ref.input_ids.flat());
  assert.deepEqual([...attentionMask].map(Number), ref.attention_mask.flat());
});

test('decoding transformers outputs gives post_process_object_detection exactly (unclipped, strict threshold)', () => {
  const [height, width] = ref.post_process.target_size;
  const queries = ref.text_queries.map(nounOf);
  const got = decodeOwlVit(floats(ref.logits), floats(ref.pred_boxes), queries, ref.post_process.threshold, { refWidth: width, refHeight: height });
  const want = [...ref.detections].sort((a, b) => b.score - a.score);
  assert.equal(got.length, want.length);
  got.forEach((d, i) => {
    const w = want[i]!;
    assert.equal(d.label, nounOf(w.query));
    assert.ok(Math.abs(d.score - w.score) < 1e-6, `${d.score} vs ${w.score}`);
    const corners = [d.x, d.y, d.x + d.w, d.y + d.h];
    corners.forEach((c, k) => assert.ok(Math.abs(c - w.box[k]!) < 1e-3, `box ${i}: ${corners.join()} vs ${w.box.join()}`));
  });
  // A box that leaves the image stays as upstream has it (x1 > 80 in the reference).
  assert.ok(got.some((d) => d.x + d.w > width), 'expected an unclipped box');
  // Raising the threshold to a kept score drops that detection (strictly greater keeps).
  const cut = decodeOwlVit(floats(ref.logits), floats(ref.pred_boxes), queries, want[want.length - 1]!.score, { refWidth: width, refHeight: height });
  assert.equal(cut.length, want.length - 1);
});

test('preprocessing: Pillow-bicubic resize, RGB, rescaled, CLIP-normalized planes equal the processor', () => {
  const pre = parsePreprocessor(JSON.parse(fs.readFileSync(fixture('owlvit-tiny', 'preprocessor_config.json'), 'utf8')), 'preprocessor_config.json');
  assert.deepEqual([pre.width, pre.height, pre.padToSquare], [64, 64, false]);
  const img = decodePng(fs.readFileSync(fixture('owlvit-tiny', 'input.png')));
  const { data, refWidth, refHeight } = owlvitPixels(img, pre);
  assert.deepEqual([refWidth, refHeight], [80, 48]);
  const want = floats(ref.pixel_values);
  assert.equal(data.length, want.length);
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i]! - want[i]!));
  // float32 rounding only; one 8-bit level would be 1/255/0.27 = 0.0145.
  assert.ok(max < 1e-4, `max |diff| ${max}`);
});

test('parsePreprocessor rejects a config without size or with a bad mean, naming the file', () => {
  assert.throws(() => parsePreprocessor({ image_mean: [0, 0, 0], image_std: [1, 1, 1] }, 'p.json'), /p\.json: no usable "size"/);
  assert.throws(() => parsePreprocessor({ size: 768, image_mean: [0, 0], image_std: [1, 1, 1] }, 'p.json'), /"image_mean" must be 3 numbers/);
  assert.equal(parsePreprocessor({ size: { height: 960, width: 960 }, image_mean: [0, 0, 0], image_std: [1, 1, 1], image_processor_type: 'Owlv2ImageProcessor' }, 'p').padToSquare, true);
});

test('the OWL-ViT detector end to end on onnxruntime: same boxes as transformers', async () => {
  const det = await createDetector({ kind: 'owlvit', modelDir });
  try {
    assert.equal(det.vocabulary, null);
    const img = decodePng(fs.readFileSync(fixture('owlvit-tiny', 'input.png')));
    assert.deepEqual(await det.detect(img), [], 'no queries, nothing to find');
    const got = await det.detect(img, { labels: ['cat', 'dog'], threshold: ref.post_process.threshold });
    const want = [...ref.detections].sort((a, b) => b.score - a.score);
    assert.equal(got.length, want.length, JSON.stringify(got));
    got.forEach((d, i) => {
      const w = want[i]!;
      assert.equal(d.label, nounOf(w.query));
      assert.ok(Math.abs(d.score - w.score) < 1e-4, `${d.score} vs ${w.score}`);
      [d.x, d.y, d.x + d.w, d.y + d.h].forEach((c, k) => assert.ok(Math.abs(c - w.box[k]!) < 1e-2, `${c} vs ${w.box[k]}`));
    });
  } finally {
    det.dispose();
  }
});

test('a folder that is not an OWL-ViT export fails with the file and what to do', async () => {
  const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'owlvit-bad-'));
  try {
    fs.copyFileSync(fixture('owlvit-tiny', 'model.onnx'), path.join(bad, 'model.onnx'));
    await assert.rejects(createDetector({ kind: 'owlvit', modelDir: bad }), (err: Error) => err instanceof ModelLoadError && /preprocessor_config\.json: missing; export OWL-ViT/.test(err.message));
    fs.copyFileSync(fixture('owlvit-tiny', 'preprocessor_config.json'), path.join(bad, 'preprocessor_config.json'));
    await assert.rejects(createDetector({ kind: 'owlvit', modelDir: bad }), /vocab\.json: missing/);
  } finally {
    fs.rmSync(bad, { recursive: true, force: true });
  }
});
