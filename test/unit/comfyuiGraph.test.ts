import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  createImage,
  decodePng,
  encodePng,
  ImageFormatError,
  pngSize,
  readPngText,
  replacePngText,
} from '../../src/image';
import { RenderParamsError, SCHEDULER_NAMES } from '../../src/render';
import {
  AREA_MIN,
  AREA_STEP,
  COMFY_SAMPLER_FOR,
  ComfyClient,
  ComfyError,
  applyRegions,
  buildGraph,
  cleanServerText,
  isLoopbackHost,
  parseComfyServer,
  parsePreview,
  saveComfyRender,
  serverLabel,
  snapArea,
  type ComfyRenderParams,
  type ComfyRenderResult,
} from '../../src/render/comfyui';

const PARAMS: ComfyRenderParams = {
  prompt: 'a cat left of a dog',
  steps: 20,
  guidanceScale: 7.5,
  seed: 1,
  width: 512,
  height: 384,
  checkpoint: 'sd.safetensors',
};

test('snapArea keeps boxes already on the grid and rounds the others to the nearest 8 px', () => {
  assert.deepEqual(snapArea({ x: 64, y: 128, w: 128, h: 64 }, 512, 512), { x: 64, y: 128, w: 128, h: 64 });
  assert.deepEqual(snapArea({ x: 3, y: 13, w: 100, h: 90 }, 512, 512), { x: 0, y: 16, w: 104, h: 88 });
});

test('snapArea widens thin boxes to 64 px around their centre and keeps them in the image', () => {
  assert.deepEqual(snapArea({ x: 200, y: 100, w: 10, h: 20 }, 512, 512), { x: 176, y: 80, w: 64, h: 64 });
  // At the right and bottom edges the minimum box slides inwards instead of leaving the image.
  assert.deepEqual(snapArea({ x: 500, y: 490, w: 12, h: 22 }, 512, 512), { x: 448, y: 448, w: 64, h: 64 });
  // Boxes reaching past the image are clipped to it.
  assert.deepEqual(snapArea({ x: -40, y: -8, w: 600, h: 700 }, 512, 384), { x: 0, y: 0, w: 512, h: 384 });
});

test('snapped areas are on the grid, at least 64 px, inside the image, and move an edge at most 4 px when big enough', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 8, max: 128 }).map((n) => n * 8),
      fc.integer({ min: 8, max: 128 }).map((n) => n * 8),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      (W, H, fx, fy, fw, fh) => {
        const box = { x: fx * W * 0.99, y: fy * H * 0.99, w: fw * W, h: fh * H };
        const a = snapArea(box, W, H);
        for (const v of [a.x, a.y, a.w, a.h]) assert.equal(v % AREA_STEP, 0);
        assert.ok(a.w >= AREA_MIN && a.h >= AREA_MIN);
        assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.w <= W && a.y + a.h <= H);
        const right = Math.min(box.x + box.w, W);
        if (right - box.x >= AREA_MIN + AREA_STEP) {
          assert.ok(Math.abs(a.x - box.x) <= 4 && Math.abs(a.x + a.w - right) <= 4);
        }
      },
    ),
  );
});

test("applyRegions scales the guide's fractional boxes to the render size and reports the rounding", () => {
  const guide = {
    background: 'a park',
    regions: [{ id: 'cat#1', prompt: 'a cat', box: { x: 0.125, y: 0.25, w: 0.5, h: 0.5 } }],
  };
  assert.deepEqual(applyRegions(guide, 512, 512, 20), [
    {
      id: 'cat#1',
      prompt: 'a cat',
      strength: 1,
      requested: { x: 64, y: 128, w: 256, h: 256 },
      applied: { x: 64, y: 128, w: 256, h: 256 },
      adjusted: false,
    },
  ]);
  const [r] = applyRegions(
    { background: '', regions: [{ prompt: 'a dog', box: { x: 0.1, y: 0.1, w: 0.05, h: 0.5 } }] },
    512,
    512,
    20,
    0.5,
  );
  assert.equal(r!.adjusted, true);
  assert.equal(r!.id, undefined);
  assert.deepEqual(r!.requested, { x: 51.2, y: 51.2, w: 25.6, h: 256 });
  assert.deepEqual(r!.applied, { x: 32, y: 48, w: 64, h: 256 });
  assert.equal(r!.strength, 0.5);
});

test('applyRegions checks the guide as the ONNX pipeline does, naming the region', () => {
  const guide = (box: { x: number; y: number; w: number; h: number }, prompt = 'a cat') => ({
    background: 'a park',
    regions: [{ id: 'cat', prompt, box }],
  });
  const bad = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof RenderParamsError && re.test(e.message));
  bad(
    () => applyRegions(guide({ x: 0.9, y: 0, w: 0.2, h: 0.1 }), 512, 512, 20),
    /region 1 \("a cat"\): the box runs past the right edge/,
  );
  bad(() => applyRegions(guide({ x: 0, y: 0, w: 0, h: 0.1 }), 512, 512, 20), /the box is empty/);
  bad(
    () => applyRegions(guide({ x: 0, y: 0, w: 0.1, h: 0.1 }, ' '), 512, 512, 20),
    /prompt must be a non-empty string/,
  );
  bad(
    () => applyRegions(guide({ x: 0, y: 0, w: 0.1, h: 0.1 }), 512, 512, 20, 11),
    /regionStrength must be from 0 to 10/,
  );
  bad(() => applyRegions(guide({ x: 0, y: 0, w: 0.1, h: 0.1 }), 56, 512, 20), /at least 64x64/);
  // A guide without boxes is a plain render of its background, at any size.
  assert.deepEqual(applyRegions({ background: 'a park', regions: [] }, 56, 56, 20), []);
});

test('buildGraph makes the minimal txt2img graph with a PreviewImage output', () => {
  const built = buildGraph(PARAMS);
  assert.deepEqual(Object.keys(built.graph), [
    'checkpoint',
    'positive',
    'negative',
    'latent',
    'sampler',
    'decode',
    'image',
  ]);
  assert.deepEqual(built.graph.sampler!.inputs, {
    seed: 1,
    steps: 20,
    cfg: 7.5,
    sampler_name: 'euler',
    scheduler: 'normal',
    denoise: 1,
    model: ['checkpoint', 0],
    positive: ['positive', 0],
    negative: ['negative', 0],
    latent_image: ['latent', 0],
  });
  assert.deepEqual(built.graph.latent!.inputs, { width: 512, height: 384, batch_size: 1 });
  assert.equal(built.graph.negative!.inputs.text, '');
  // PreviewImage writes into ComfyUI's temp folder: nothing lands in the user's output folder.
  assert.equal(built.graph.image!.class_type, 'PreviewImage');
  assert.deepEqual([built.samplerNode, built.outputNode, built.checkpointNode], ['sampler', 'image', 'checkpoint']);
});

test("buildGraph chains one ConditioningSetArea per box into the background's conditioning", () => {
  const built = buildGraph({
    ...PARAMS,
    regionStrength: 2,
    regions: {
      background: 'a park at noon',
      regions: [
        { prompt: 'a cat', box: { x: 0, y: 0, w: 200 / 512, h: 1 } },
        { prompt: 'a dog', box: { x: 300 / 512, y: 0, w: 212 / 512, h: 1 } },
      ],
    },
  });
  const g = built.graph;
  assert.deepEqual(g.region1!.inputs, {
    conditioning: ['region1_text', 0],
    x: 0,
    y: 0,
    width: 200,
    height: 384,
    strength: 2,
  });
  assert.deepEqual(g.region2!.inputs, {
    conditioning: ['region2_text', 0],
    x: 304,
    y: 0,
    width: 208,
    height: 384,
    strength: 2,
  });
  assert.deepEqual(g.combine1!.inputs, { conditioning_1: ['positive', 0], conditioning_2: ['region1', 0] });
  assert.deepEqual(g.combine2!.inputs, { conditioning_1: ['combine1', 0], conditioning_2: ['region2', 0] });
  assert.deepEqual(g.sampler!.inputs.positive, ['combine2', 0]);
  assert.equal(g.region2_text!.inputs.text, 'a dog');
  // With a guide, as in the ONNX pipeline, the background conditions the picture; the prompt is only recorded.
  assert.equal(g.positive!.inputs.text, 'a park at noon');
  assert.equal(built.regions.length, 2);
});

test('buildGraph names the first bad parameter', () => {
  const bad = (p: Partial<ComfyRenderParams>, re: RegExp) =>
    assert.throws(
      () => buildGraph({ ...PARAMS, ...p }),
      (e: unknown) => e instanceof RenderParamsError && re.test(e.message),
    );
  bad({ steps: 0 }, /steps must be an integer from 1 to 10000, got 0/);
  bad({ width: 500 }, /width must be a multiple of 8/);
  bad({ seed: -1 }, /seed must be an integer/);
  bad({ guidanceScale: Number.NaN }, /guidanceScale must be from 0 to 100/);
  bad({ checkpoint: '' }, /checkpoint must name a checkpoint/);
  bad({ sampler: '' }, /sampler must be a non-empty ComfyUI name/);
  bad({ batch: 0 }, /batch must be an integer/);
});

test('every ONNX scheduler name has a ComfyUI sampler and scheduler', () => {
  assert.deepEqual(Object.keys(COMFY_SAMPLER_FOR).sort(), [...SCHEDULER_NAMES].sort());
});

test('parseComfyServer takes loopback servers and refuses others unless allowed', () => {
  assert.equal(parseComfyServer(undefined).href, 'http://127.0.0.1:8188/');
  assert.equal(parseComfyServer('  ').href, 'http://127.0.0.1:8188/');
  assert.equal(parseComfyServer('http://localhost:8188').href, 'http://localhost:8188/');
  assert.equal(parseComfyServer('http://[::1]:8188/comfy').href, 'http://[::1]:8188/comfy/');
  assert.equal(serverLabel(parseComfyServer('http://[::1]:8188/comfy')), 'http://[::1]:8188/comfy');
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'a.localhost'])
    assert.ok(isLoopbackHost(host), host);
  for (const host of ['example.com', '10.0.0.1', '192.168.1.2', '[::2]', 'localhost.example.com', '0.0.0.0'])
    assert.ok(!isLoopbackHost(host), host);
  const refused = (url: string, re: RegExp, allowRemote = false) =>
    assert.throws(
      () => parseComfyServer(url, { allowRemote }),
      (e: unknown) => e instanceof ComfyError && e.kind === 'url' && re.test(e.message),
    );
  refused('http://192.168.1.20:8188', /is not on this machine/);
  refused('http://gpu-box:8188', /explicitly allowed/);
  assert.equal(parseComfyServer('http://gpu-box:8188', { allowRemote: true }).host, 'gpu-box:8188');
  refused('ftp://127.0.0.1', /must be an http/, true);
  refused('http://user:secret@127.0.0.1:8188', /credentials/);
  refused('not a url', /is not a URL/);
  refused('http://127.0.0.1:8188/?x=1', /query or fragment/);
  assert.throws(() => new ComfyClient({ server: 'http://10.1.1.1:8188' }), /not on this machine/);
});

test('cleanServerText makes server text one safe line', () => {
  assert.equal(cleanServerText('line one\nline two\r\n\tthree'), 'line one line two three');
  assert.equal(cleanServerText('\x1b[31mred\x1b[0m text\x07'), 'red text');
  assert.equal(cleanServerText('<b>bold</b>'), '<b>bold</b>');
  assert.equal(cleanServerText('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
  assert.equal(cleanServerText({ a: 1 }), '{"a":1}');
  assert.equal(cleanServerText(undefined), '');
});

test('replacePngText swaps every text chunk for ours and keeps the pixels', () => {
  const img = createImage(5, 3);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 11) % 256;
  const theirs = encodePng(img, { prompt: '{"1": {"class_type": "KSampler"}}', workflow: '{}', note: 'café ☕' });
  const ours = replacePngText(theirs, { prompt: 'a cat', backend: 'comfyui' });
  assert.deepEqual(readPngText(ours), { prompt: 'a cat', backend: 'comfyui' });
  assert.deepEqual(Array.from(decodePng(ours).data), Array.from(img.data));
  assert.deepEqual(pngSize(ours), { width: 5, height: 3 });
});

test('replacePngText and pngSize refuse truncated and foreign bytes', () => {
  const png = encodePng(createImage(8, 8), { a: 'b' });
  assert.throws(
    () => replacePngText(png.subarray(0, png.length - 12), {}),
    (e: unknown) => e instanceof ImageFormatError && /truncated PNG: no IEND/.test(e.message),
  );
  assert.throws(() => pngSize(png.subarray(0, 40)), ImageFormatError);
  assert.throws(() => pngSize(Buffer.from('<html>not found</html>')), /bad signature/);
});

test('parsePreview reads JPEG/PNG preview frames and ignores everything else', () => {
  const head = (event: number, format: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(event, 0);
    b.writeUInt32BE(format, 4);
    return b;
  };
  assert.deepEqual(parsePreview(Buffer.concat([head(1, 1), Buffer.from('JPEG')])), {
    format: 'jpeg',
    bytes: Buffer.from('JPEG'),
  });
  assert.deepEqual(parsePreview(Buffer.concat([head(1, 2), Buffer.from('PNG!')])), {
    format: 'png',
    bytes: Buffer.from('PNG!'),
  });
  const meta = Buffer.from(JSON.stringify({ prompt_id: 'p1', image_type: 'image/png' }));
  const withMeta = Buffer.concat([head(4, meta.length), meta, Buffer.from('IMG')]);
  assert.deepEqual(parsePreview(withMeta, 'p1'), { format: 'png', bytes: Buffer.from('IMG') });
  assert.equal(parsePreview(withMeta, 'another prompt'), undefined);
  assert.equal(parsePreview(head(2, 1)), undefined, 'unencoded previews are not images');
  assert.equal(parsePreview(head(1, 9)), undefined, 'unknown format');
  assert.equal(parsePreview(Buffer.from([0, 0, 0])), undefined, 'short frame');
  assert.equal(parsePreview(Buffer.concat([head(4, 999), meta])), undefined, 'metadata past the end');
});

test('saveComfyRender writes our names, never over an earlier file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-save-'));
  try {
    const png = encodePng(createImage(2, 2));
    const result = { png: [png], text: { seed: '42' } } as unknown as ComfyRenderResult;
    const first = await saveComfyRender(result, dir);
    const second = await saveComfyRender(result, dir);
    const third = await saveComfyRender({ ...result, png: [png, png] }, dir, 'cat');
    assert.deepEqual(
      [...first, ...second, ...third].map((f) => path.basename(f)),
      ['render-42.png', 'render-42-2.png', 'cat.png', 'cat-2.png'],
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ['cat-2.png', 'cat.png', 'render-42-2.png', 'render-42.png']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
