/**
 * Detection latency of the embedded NanoDet (TF.js WASM, one thread as in the worker): median of
 * a warm run per image size, and where the time goes (input layout, graph, decoding), measured in
 * the same process so the ratios hold on any machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDetector } from '../src/detect';
import { decodeNanoDet, nanoDetInput, type NanoDetLevel } from '../src/detect/nanodet';
import { fileIOHandler, findWasmDir, initTfjs } from '../src/detect/tfjsRuntime';
import { findPackageRoot } from '../src/detect/modelPaths';
import { decodePng, resizeBilinear } from '../src/image';
import type { BenchSection } from './harness';
import { median, timeRuns } from './harness';

const RUNS = 10;

const section: BenchSection = {
  name: 'detect',
  async run() {
    const root = findPackageRoot(__dirname);
    if (!root) throw new Error('cannot find the spright-lens package root');
    const modelsDir = path.join(root, 'models');
    const modelJson = path.join(modelsDir, 'nanodet', 'nanodet.json');
    if (!fs.existsSync(modelJson)) throw new Error(`${modelJson} missing: run \`npm run fetch-models\``);
    const photo = decodePng(fs.readFileSync(path.join(root, 'test', 'fixtures', 'detect', 'astronaut.png')));
    const sizes = { '256x256': photo, '512x512': resizeBilinear(photo, 512, 512), '768x512': resizeBilinear(photo, 768, 512) };
    const rows: Record<string, string | number> = {};

    let t = process.hrtime.bigint();
    const detector = await createDetector({ kind: 'embedded' }, { modelsDir, threads: 1 });
    rows['load (backend + model), ms'] = (Number(process.hrtime.bigint() - t) / 1e6).toFixed(0);
    try {
      for (const [name, img] of Object.entries(sizes)) {
        const ms = median(await timeRuns(() => detector.detect(img), RUNS, 2));
        rows[`detect() ${name}, median of ${RUNS} warm, ms`] = ms.toFixed(1);
        if (name === '512x512') rows['images per second (512x512)'] = (1000 / ms).toFixed(2);
      }
    } finally {
      detector.dispose();
    }

    // The parts, on the 512x512 image: the bare graph is the baseline detect() is compared with.
    const img = sizes['512x512'];
    const { tf, converter } = await initTfjs(findWasmDir(root), 1);
    const model = await converter.loadGraphModel(fileIOHandler(modelJson));
    const names = ['Identity:0', 'Identity_3:0', 'Identity_1:0', 'Identity_4:0', 'Identity_2:0', 'Identity_5:0'];
    const { data, transform } = nanoDetInput(img);
    let arrays: Float32Array[] = [];
    const graph = median(
      await timeRuns(async () => {
        const x = tf.tensor4d(data, [1, 3, 416, 416]);
        const outs = model.execute({ 'input_1:0': x }, names) as import('@tensorflow/tfjs-core').Tensor[];
        arrays = (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
        x.dispose();
        for (const o of outs) o.dispose();
      }, RUNS, 2),
    );
    model.dispose();
    const levels: NanoDetLevel[] = [8, 16, 32].map((stride, i) => ({ stride, scores: arrays[2 * i]!, boxes: arrays[2 * i + 1]! }));
    const prep = median(await timeRuns(() => nanoDetInput(img), RUNS, 1));
    const decode = median(await timeRuns(() => decodeNanoDet(levels, { threshold: 0.3, classes: null, transform, imageWidth: 512, imageHeight: 512 }), RUNS, 1));
    t = process.hrtime.bigint();
    rows['  letterbox + BGR layout (512x512), ms'] = prep.toFixed(1);
    rows['  graph on WASM (baseline), ms'] = graph.toFixed(1);
    rows['  decode + NMS, ms'] = decode.toFixed(2);
    const total = Number(String(rows['detect() 512x512, median of 10 warm, ms']));
    rows['detect() / bare graph (512x512)'] = `${(total / graph).toFixed(2)}x`;
    return rows;
  },
};
export default section;
