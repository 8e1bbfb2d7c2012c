/** Evaluation throughput: per-image judging by all three benchmarks plus aggregation. */
import { aggregate, evaluateImage, visorRule } from '../src/evaluate/index';
import type { EvalPrompt } from '../src/evaluate/index';
import type { Detection } from '../src/protocol/geometry';
import type { RelationType } from '../src/parser/types';
import { median, timeRuns } from './harness';
import type { BenchSection } from './harness';

const N = 20000;
const LABELS = ['dog', 'cat', 'car', 'cup', 'person', 'book'];
const RELS: RelationType[] = ['left_of', 'right_of', 'above', 'below', 'next_to'];

/** Deterministic synthetic set: 2-object prompts, 6 detections per image (768 px canvas). */
function synthetic(): Array<{ prompt: EvalPrompt; dets: Detection[] }> {
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const out: Array<{ prompt: EvalPrompt; dets: Detection[] }> = [];
  for (let i = 0; i < N; i++) {
    const a = LABELS[i % LABELS.length];
    const b = LABELS[(i + 1 + (i % 4)) % LABELS.length];
    const prompt: EvalPrompt = {
      id: String(i >> 2),
      text: `a ${a} ${RELS[i % RELS.length]} a ${b}`,
      objects: [
        { id: 'a', noun: a, count: 1 },
        { id: 'b', noun: b, count: 1 },
      ],
      relations: [{ subject: 'a', relation: RELS[(i >> 2) % RELS.length], object: 'b' }],
    };
    const dets: Detection[] = Array.from({ length: 6 }, () => ({
      label: LABELS[Math.floor(rnd() * LABELS.length)],
      score: rnd(),
      x: rnd() * 600,
      y: rnd() * 600,
      w: 20 + rnd() * 150,
      h: 20 + rnd() * 150,
    }));
    out.push({ prompt, dets });
  }
  return out;
}

const section: BenchSection = {
  name: 'evaluate',
  async run() {
    const data = synthetic();
    // Baseline: VISOR's centroid rule alone on pre-picked boxes, the least any evaluator must do.
    const picked = data.map(({ prompt, dets }) => ({
      rel: prompt.relations[0].relation,
      a: dets[0],
      b: dets[1],
    }));
    let sink = 0;
    const base = await timeRuns(() => {
      for (const p of picked) if (visorRule(p.rel, p.a, p.b)) sink++;
    }, 15, 3);
    const full = await timeRuns(() => {
      const images = data.map(({ prompt, dets }) => ({ promptId: prompt.id, evaluation: evaluateImage(prompt, dets) }));
      sink += aggregate(images).visor.images;
    }, 15, 3);
    const baseMs = median(base);
    const fullMs = median(full);
    return {
      'images per run': N,
      'evaluateImage+aggregate (images/s, median)': Math.round((N / fullMs) * 1000).toLocaleString('en'),
      'baseline visorRule only (images/s, median)': Math.round((N / baseMs) * 1000).toLocaleString('en'),
      'full / baseline time ratio': (fullMs / baseMs).toFixed(1) + 'x',
      '(sink)': sink > 0 ? 'ok' : 'none',
    };
  },
};
export default section;
