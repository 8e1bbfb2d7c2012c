/**
 * What verified best-of-N gains on real images: VISOR's 100 Stable Diffusion images (25 SR2D
 * prompts, 4 seeds each, ../shared/data/visor-images) are detected once by the embedded NanoDet,
 * and the evaluation core's best-of choice (`chooseCandidate`, the one `render`, `batch` and the
 * panel use) picks among the first N images of each prompt. Printed: the share of prompts whose
 * image satisfies every relation with k=0 alone against the chosen one, for N = 2 and 4, and how
 * many candidates `--until-satisfied` renders. The same detector picks and scores, so the gain is
 * an upper bound of what an independent judge would see.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDetector } from '../src/detect';
import { findPackageRoot } from '../src/detect/modelPaths';
import {
  chooseCandidate,
  judgeCandidate,
  parseImageName,
  parseSr2d,
  type CandidateScore,
  type EvalPrompt,
} from '../src/evaluate/index';
import { decodePng } from '../src/image';
import type { Detection } from '../src/protocol/geometry';
import { NANODET_DEFAULT_THRESHOLD } from '../src/protocol/service';
import type { BenchSection } from './harness';
import { sharedFile } from './harness';

/** Low enough for every threshold judged below: judging drops the boxes under its own. */
const DETECT_FLOOR = 0.1;
const THRESHOLDS = [NANODET_DEFAULT_THRESHOLD, DETECT_FLOOR];

const pct = (k: number, of: number): string => (of > 0 ? `${((100 * k) / of).toFixed(1)}% (${k}/${of})` : '–');

const section: BenchSection = {
  name: 'best-of',
  async run() {
    const imagesDir = sharedFile('visor-images', 'stable-diffusion');
    const sr2dFile = sharedFile('sr2d', 'text_spatial_rel_phrases.json');
    if (!imagesDir || !sr2dFile)
      throw new Error('../shared/data/visor-images or sr2d is missing: this section needs the shared data');
    const root = findPackageRoot(__dirname);
    if (!root) throw new Error('cannot find the spright-lens package root');
    const prompts = new Map(parseSr2d(fs.readFileSync(sr2dFile, 'utf8'), sr2dFile).map((p) => [p.id, p]));

    // Candidate k of a prompt is its image {id}_{k}.png, in k order (k stands for the seed order).
    const byPrompt = new Map<string, Array<{ k: number; file: string }>>();
    for (const name of fs.readdirSync(imagesDir).sort()) {
      const parsed = parseImageName(name);
      if (!parsed) continue;
      const list = byPrompt.get(parsed.promptId) ?? [];
      list.push({ k: parsed.k, file: path.join(imagesDir, name) });
      byPrompt.set(parsed.promptId, list);
    }

    const detector = await createDetector({ kind: 'embedded' }, { modelsDir: path.join(root, 'models'), threads: 1 });
    const detected: Array<{ prompt: EvalPrompt; candidates: Detection[][] }> = [];
    let images = 0;
    try {
      for (const [id, list] of byPrompt) {
        const prompt = prompts.get(id);
        if (!prompt) throw new Error(`${imagesDir}: no SR2D record with unique_id ${id}`);
        list.sort((a, b) => a.k - b.k);
        const labels = [...new Set(prompt.objects.map((o) => o.noun))];
        const candidates: Detection[][] = [];
        for (const c of list)
          candidates.push(
            await detector.detect(decodePng(fs.readFileSync(c.file)), { labels, threshold: DETECT_FLOOR }),
          );
        images += list.length;
        detected.push({ prompt, candidates });
      }
    } finally {
      detector.dispose();
    }

    const rows: Record<string, string | number> = {
      'images (prompts x seeds)': `${images} (${detected.length} x ${images / Math.max(1, detected.length)})`,
      'picked and scored by': 'embedded NanoDet, VISOR rule (gain = upper bound)',
    };
    for (const threshold of THRESHOLDS) {
      const scoresOf = (d: (typeof detected)[number]): CandidateScore[] =>
        d.candidates.map(
          (detections) =>
            judgeCandidate(
              { promptId: d.prompt.id, prompt: d.prompt, detections, detector: 'embedded' },
              'visor',
              threshold,
            ).score,
        );
      const scored = detected.map(scoresOf).filter((s) => s[0]!.scored > 0);
      const maxN = Math.min(...scored.map((s) => s.length));
      const share = (n: number): number =>
        scored.filter(
          (s) =>
            s[
              chooseCandidate(
                s.slice(0, n).map((score, j) => ({ seed: j, score })),
                { n, untilSatisfied: false },
              ).chosen!
            ]!.allSatisfied,
        ).length;
      const at = `threshold ${threshold}`;
      rows[`${at}: prompts judged`] = scored.length;
      rows[`${at}: all relations satisfied, k=0 alone`] = pct(share(1), scored.length);
      for (const n of [2, 4].filter((m) => m <= maxN)) {
        rows[`${at}: all relations satisfied, best of ${n}`] = pct(share(n), scored.length);
        rows[`${at}: gain of best of ${n}, points`] = (
          (100 * (share(n) - share(1))) /
          Math.max(1, scored.length)
        ).toFixed(1);
        // --until-satisfied renders candidates up to the first that satisfies every relation.
        const rendered = scored.reduce(
          (sum, s) =>
            sum +
            chooseCandidate(
              s.slice(0, n).map((score, j) => ({ seed: j, score })),
              { n, untilSatisfied: true },
            ).pool,
          0,
        );
        rows[`${at}: renders per prompt, best of ${n} --until-satisfied`] = (
          rendered / Math.max(1, scored.length)
        ).toFixed(2);
      }
    }
    return rows;
  },
};
export default section;
