/**
 * The CLI on big inputs and the batch report's size:
 * - peak memory (max RSS) of `analyze` and `rewrite` on 1,000,000 prompt lines, against the same
 *   commands on 10,000 lines as the baseline (streaming: the ratio should stay near 1);
 * - report.html for 16 photograph-like 768 px renders with JPEG thumbnails, against the PNG
 *   thumbnails it embedded before (same images, same page otherwise).
 * BENCH_CLI_LINES overrides the 1,000,000.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderReport, summarize, thumbnailUri } from '../src/batch';
import type { ManifestRecord } from '../src/batch';
import { createImage, decodePng, encodePng, resizeBilinear } from '../src/image';
import type { BenchSection } from './harness';

const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');

/** Runs the CLI in a child process with stdout to /dev/null; returns its peak RSS and time. */
function measure(args: string[]): { rssMb: number; seconds: number } {
  const script = `process.on('exit', () => process.stderr.write('\\nMAXRSS ' + process.resourceUsage().maxRSS + '\\n')); require(${JSON.stringify(CLI)}).runProcess();`;
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script, '--', 'spright-lens', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`spright-lens ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  return { rssMb: Number(m[1]) / 1024, seconds };
}

/** A smooth colour field with grain, like a photograph to a compressor. */
function photoLike(seed: number, side: number): Buffer {
  let x = seed * 7919 + 1;
  const rnd = (): number => (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const coarse = createImage(16, 16);
  for (let i = 0; i < coarse.data.length; i++) coarse.data[i] = i % 4 === 3 ? 255 : rnd();
  const img = resizeBilinear(coarse, side, side);
  for (let i = 0; i < img.data.length; i++) if (i % 4 !== 3) img.data[i] = Math.min(255, img.data[i]! + (rnd() & 15));
  return encodePng(img);
}

function reportSize(): Record<string, string> {
  const images = new Map<string, Buffer>();
  const records: ManifestRecord[] = [];
  for (let p = 0; p < 4; p++) {
    for (let k = 0; k < 4; k++) {
      const file = `${p}_${k}.png`;
      images.set(file, photoLike(p * 4 + k, 768));
      records.push({
        render_key: `${p}-${k}`,
        prompt_id: String(p),
        prompt: `a dog to the left of a cat ${p}`,
        source: `bench:${p}`,
        variant: 'original',
        rewrite: null,
        k,
        seed: k,
        file,
        width: 768,
        height: 768,
        parameters: { model: 'bench', modelId: 'bench', steps: 25, guidance: 7.5, width: 768, height: 768, scheduler: 'dpmpp_2m', detector: 'bench' },
        timings: { render_ms: 0, detect_ms: 0 },
        raw_floor: 0,
        raw_detections: [],
        threshold: 0,
        detections: [],
        eval_prompt: { id: String(p), text: 'a dog to the left of a cat', objects: [{ id: 'a', noun: 'dog', count: 1 }, { id: 'b', noun: 'cat', count: 1 }], relations: [{ subject: 'a', relation: 'left_of', object: 'b' }] },
        relations: [],
        finished_at: '',
      });
    }
  }
  const html = renderReport(records, summarize(records), { images });
  // The page as it was: the same thumbnails as 256 px PNG data URIs.
  let before = html.length;
  for (const png of images.values()) {
    const img = decodePng(png);
    const old = `data:image/png;base64,${encodePng(resizeBilinear(img, 256, 256)).toString('base64')}`;
    before += old.length - thumbnailUri(png, 256).length;
  }
  return {
    'report.html, 16 renders of 768 px, JPEG thumbnails': `${(html.length / 1e6).toFixed(2)} MB (${(html.length / 16 / 1e3).toFixed(1)} KB an image)`,
    'same page with 256 px PNG thumbnails (before)': `${(before / 1e6).toFixed(2)} MB (${(before / 16 / 1e3).toFixed(1)} KB an image)`,
    'report size ratio (now / before)': (html.length / before).toFixed(3),
  };
}

const section: BenchSection = {
  name: 'cli',
  async run() {
    const lines = Number(process.env.BENCH_CLI_LINES ?? 1_000_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-bench-cli-'));
    const rows: Record<string, string> = {};
    try {
      const prompts = ['a dog to the left of a cat', 'a red chair in front of a large bookcase', 'two cups on a table next to a lamp', 'a bird above a tree'];
      const write = (file: string, n: number): void => {
        const fd = fs.openSync(file, 'w');
        const block = Array.from({ length: 10_000 }, (_, i) => prompts[i % prompts.length]).join('\n') + '\n';
        for (let i = 0; i < n; i += 10_000) fs.writeSync(fd, i + 10_000 <= n ? block : block.split('\n').slice(0, n - i).join('\n') + '\n');
        fs.closeSync(fd);
      };
      const small = path.join(dir, 'small.prompts');
      const big = path.join(dir, 'big.prompts');
      write(small, 10_000);
      write(big, lines);
      for (const command of ['analyze', 'rewrite']) {
        const base = measure([command, small]);
        const run = measure([command, big]);
        rows[`${command}: 10,000 lines (baseline)`] = `${base.rssMb.toFixed(0)} MB max RSS, ${base.seconds.toFixed(1)} s`;
        rows[`${command}: ${lines.toLocaleString('en')} lines`] = `${run.rssMb.toFixed(0)} MB max RSS, ${run.seconds.toFixed(1)} s`;
        rows[`${command}: memory ratio (${lines / 10_000}x the lines)`] = (run.rssMb / base.rssMb).toFixed(2);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return { ...rows, ...reportSize() };
  },
};
export default section;
