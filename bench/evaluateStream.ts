/**
 * `evaluate` on a batch manifest, end to end through the CLI command: throughput, and the heap it
 * needs as the manifest grows ten-fold over the same 2,000 prompts (records stream out; what stays
 * is per prompt).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import evaluateCommand from '../src/cli/commands/evaluate';
import type { CliContext } from '../src/cli/command';
import { parseManifest } from '../src/batch/index';
import type { ManifestRecord } from '../src/batch/index';
import { evaluateImages } from '../src/evaluate/index';
import type { PerImageResult } from '../src/evaluate/index';
import type { BenchSection } from './harness';

const SMALL = 5_000;
const LARGE = 50_000;

/** A manifest line as a batch writes it: image i is image k = i / 2000 of prompt i % 2000. */
function record(i: number): ManifestRecord {
  const promptId = String(i % 2000);
  const k = Math.floor(i / 2000);
  const s = (n: number): number => ((i * 7919 + n * 104729) % 1000) / 1000;
  const detections = [
    { label: 'dog', score: 0.2 + 0.7 * s(1), x: 600 * s(2), y: 600 * s(3), w: 40 + 100 * s(4), h: 40 + 100 * s(5) },
    { label: 'cat', score: 0.2 + 0.7 * s(6), x: 600 * s(7), y: 600 * s(8), w: 40 + 100 * s(9), h: 40 + 100 * s(10) },
    { label: 'dog', score: 0.1 + 0.5 * s(11), x: 600 * s(12), y: 600 * s(13), w: 40 + 100 * s(14), h: 40 + 100 * s(15) },
  ];
  return {
    render_key: `${promptId}-${k}`,
    prompt_id: promptId,
    prompt: `a dog to the left of a cat ${promptId}`,
    source: `bench.prompts:${promptId}`,
    variant: 'original',
    rewrite: null,
    k,
    seed: k,
    file: `${promptId}_${k}.png`,
    width: 768,
    height: 768,
    parameters: {
      model: 'bench',
      modelId: 'bench',
      steps: 25,
      guidance: 7.5,
      width: 768,
      height: 768,
      scheduler: 'dpmpp_2m',
      detector: 'embedded',
    },
    timings: { render_ms: 1000, detect_ms: 600 },
    raw_floor: 0,
    raw_detections: detections,
    threshold: 0,
    detections,
    eval_prompt: {
      id: promptId,
      text: `a dog to the left of a cat ${promptId}`,
      objects: [
        { id: 'o1', noun: 'dog', count: 1 },
        { id: 'o2', noun: 'cat', count: 1 },
      ],
      relations: [{ subject: 'o1', relation: 'left_of', object: 'o2' }],
    },
    relations: [],
    finished_at: '2026-01-01T00:00:00.000Z',
  };
}

// What is still alive is what a run holds on to; garbage waiting for a collection is not.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Runs `evaluate --prompts manifest --format jsonl`; returns the time, and the most live heap
 * above the starting point, measured after a full collection every 2 MB of output.
 */
async function run(manifest: string, measure: boolean): Promise<{ ms: number; liveMb: number; bytes: number }> {
  gc();
  const base = process.memoryUsage().heapUsed;
  let live = 0;
  let bytes = 0;
  let next = 0;
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (measure && bytes >= next) {
        next = bytes + 2 * 2 ** 20;
        gc();
        live = Math.max(live, process.memoryUsage().heapUsed - base);
      }
      done();
    },
  });
  const stderr = new Writable({ write: (_c, _e, done) => done() });
  const ctx: CliContext = {
    stdout,
    stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: {},
    signal: new AbortController().signal,
  };
  const t = process.hrtime.bigint();
  const code = await evaluateCommand.run(['--prompts', manifest, '--format', 'jsonl'], ctx);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (code !== 0) throw new Error(`evaluate exited ${code}`);
  return { ms, liveMb: live / 2 ** 20, bytes };
}

/**
 * Baseline: what a non-streaming evaluate holds, every record read and every result kept until
 * the one document is printed (the previous implementation). Returns its live heap in MB.
 */
async function collectAll(manifest: string): Promise<number> {
  gc();
  const base = process.memoryUsage().heapUsed;
  const { records } = parseManifest(fs.readFileSync(manifest, 'utf8'));
  const kept: PerImageResult[] = [];
  const jobs = records.map((r) => ({
    file: r.file,
    promptId: r.prompt_id,
    k: r.k,
    prompt: r.eval_prompt,
    detections: r.detections,
    detector: r.parameters.detector,
  }));
  await evaluateImages(jobs, { detect: () => Promise.resolve(null) }, { onImage: (p) => void kept.push(p) });
  gc();
  const live = process.memoryUsage().heapUsed - base;
  if (kept.length !== records.length) throw new Error('baseline lost images');
  return live / 2 ** 20;
}

const section: BenchSection = {
  name: 'evaluate-stream',
  async run() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-bench-eval-'));
    try {
      const files: Record<number, string> = {};
      for (const n of [SMALL, LARGE]) {
        files[n] = path.join(dir, `manifest-${n}.jsonl`);
        const fd = fs.openSync(files[n], 'w');
        for (let i = 0; i < n; i += 1000)
          fs.writeSync(
            fd,
            Array.from({ length: Math.min(1000, n - i) }, (_, j) => JSON.stringify(record(i + j)) + '\n').join(''),
          );
        fs.closeSync(fd);
      }
      await run(files[SMALL], false); // warm-up
      // Timed without the collections the memory runs force.
      const timed = await run(files[LARGE], false);
      const small = await run(files[SMALL], true);
      const large = await run(files[LARGE], true);
      const baseline = await collectAll(files[LARGE]);
      return {
        [`manifest lines (small / large)`]: `${SMALL.toLocaleString('en')} / ${LARGE.toLocaleString('en')} (${(fs.statSync(files[LARGE]).size / 2 ** 20).toFixed(0)} MB), 2,000 prompts`,
        'images/s (large)': Math.round((LARGE / timed.ms) * 1000).toLocaleString('en'),
        'output written (large)': `${(large.bytes / 2 ** 20).toFixed(0)} MB`,
        'live heap during the run, small (MB)': small.liveMb.toFixed(1),
        'live heap during the run, large (MB)': large.liveMb.toFixed(1),
        'baseline: every record kept, large (MB)': baseline.toFixed(0),
        'streaming / baseline live heap, large': `${(large.liveMb / baseline).toFixed(3)}x`,
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default section;
