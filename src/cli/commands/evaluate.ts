/**
 * `spright-lens evaluate`: judges images against their prompts. Images are judged one at a time
 * and each record is written as soon as it is done; only the aggregates stay in memory.
 */
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseDetectorSpec, parseFlags, parseThreshold } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { ChunkedWriter } from '../io';
import { cliError, inProcessService } from '../service';
import { evaluateImages, matchImages, parseSr2d, promptFromParsed, PromptSetError } from '../../evaluate/index';
import type { EvalPrompt, EvaluationSummary, ImageJob, PerImageResult } from '../../evaluate/index';
import { isCandidateLine, manifestRecordProblem, ProgressReporter } from '../../batch/index';
import type { ManifestRecord } from '../../batch/index';
import { ImageFormatError, readPngText } from '../../image/index';
import { parsePrompt, PromptFileError, readPromptFile, readPromptSource } from '../../parser/index';
import { detectorName } from '../../protocol/service';
import { ServiceRequestError } from '../../service';

const USAGE = `Usage: spright-lens evaluate --prompts FILE [--images DIR] [options]
       spright-lens evaluate --images DIR [options]

Judges images against their prompts with the benchmarks' own spatial rules (VISOR, T2I-CompBench
2D, GenEval position) and prints their aggregates. Records are written as each image is judged.

Where prompts and images come from:
  --prompts FILE --images DIR   images named {prompt_id}_{k}.png in DIR
  --prompts manifest.jsonl      a batch's images with their recorded detections
  --images DIR                  every PNG in DIR that carries its prompt in a text chunk
                                (what render and batch write)

FILE is recognised by its content:
  SR2D JSON                     VISOR's array of records (ids = unique_id)
  a batch manifest.jsonl        images default to its folder; recorded detections are
                                re-judged unless --detector is given
  prompts JSONL                 one {"prompt": "..."} (or "text") per line (ids = line numbers)
  a prompts file                one prompt a line, # comments (ids = line numbers)

Options:
  --prompts FILE         prompt set
  --images DIR           image folder
  --benchmark NAME       visor | t2i-compbench | geneval | all (default all)
  --detector SPEC        embedded (default: NanoDet, COCO) | owlvit:DIR (OWL-ViT ONNX export)
  --threshold X          keep detections scoring above X (default: the detector's own)
  --variant NAME         for a manifest: original (default) | rewrite
  --format FORMAT        json (default: one document, per_image first, aggregates last)
                         | jsonl (one {"type":"image"} line per image, then {"type":"summary"})
                         | text (aggregates only)

VISOR figures are in percent as in the paper; T2I-CompBench is a mean score in 0..1; GenEval is
the fraction of images correct. Exit 2 on bad input (an unreadable image is skipped with a
warning, and the run ends with exit 2).
`;

type Benchmark = 'visor' | 't2i-compbench' | 'geneval';
type Format = 'json' | 'jsonl' | 'text';

function pickBenchmarks(v: string | undefined): Set<Benchmark> {
  const all: Benchmark[] = ['visor', 't2i-compbench', 'geneval'];
  if (v === undefined || v === 'all') return new Set(all);
  if ((all as string[]).includes(v)) return new Set([v as Benchmark]);
  throw new UsageError(`--benchmark must be visor, t2i-compbench, geneval or all, got '${v}'`);
}

/** The aggregates `evaluate` prints (JSON and the JSONL summary line), for the chosen benchmarks. */
export function summaryJson(summary: EvaluationSummary, benchmarks: Set<Benchmark>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (benchmarks.has('visor')) out.visor = summary.visor;
  if (benchmarks.has('t2i-compbench')) out.t2i_compbench = summary.t2i_compbench;
  if (benchmarks.has('geneval')) out.geneval = summary.geneval;
  out.per_relation = summary.per_relation;
  return out;
}

/** One `per_image` record: the detections, and per relation each rule's verdict and the boxes it rests on. */
export function perImageJson(p: PerImageResult, benchmarks: Set<Benchmark>): Record<string, unknown> {
  const nounOf = new Map(p.evaluation.objects.map((o) => [o.id, o.noun]));
  const e = p.evaluation;
  const v = benchmarks.has('visor');
  const t = benchmarks.has('t2i-compbench');
  const g = benchmarks.has('geneval');
  return {
    file: p.file,
    prompt_id: p.prompt_id,
    k: p.k,
    prompt: p.prompt,
    detections: p.detections,
    unknown_nouns: e.unknownNouns,
    relations: e.relations.map((r) => ({
      subject: nounOf.get(r.subject),
      relation: r.relation,
      object: nounOf.get(r.object),
      status: r.status,
      ...(v ? { visor: r.visor } : {}),
      ...(t ? { t2i_compbench: r.t2iCompbench } : {}),
      ...(g ? { geneval: r.geneval } : {}),
      // Positions in `detections` of the (subject, object) boxes behind each verdict.
      pairs: {
        ...(v ? { visor: r.pairs.visor } : {}),
        ...(t ? { t2i_compbench: r.pairs.t2iCompbench } : {}),
        ...(g ? { geneval: r.pairs.geneval } : {}),
      },
    })),
    ...(v ? { visor: e.visor } : {}),
    ...(t ? { t2i_compbench: e.t2iCompbench } : {}),
    ...(g ? { geneval: e.geneval } : {}),
  };
}

const f = (v: number | null, d = 2): string => (v === null ? '–' : v.toFixed(d));

/** The human-readable summary of `evaluate --format text`. */
export function evaluationText(summary: EvaluationSummary, benchmarks: Set<Benchmark>): string {
  const lines: string[] = [];
  if (benchmarks.has('visor')) {
    const v = summary.visor;
    lines.push(`VISOR (${v.images} images of ${v.prompts} two-object prompts, percent)`);
    lines.push(`  OA ${f(v.oa)}   cond ${f(v.cond)}   uncond ${f(v.uncond)}`);
    lines.push(
      `  VISOR-1 ${f(v.visor_1)}   VISOR-2 ${f(v.visor_2)}   VISOR-3 ${f(v.visor_3)}   VISOR-4 ${f(v.visor_4)}`,
    );
  }
  if (benchmarks.has('t2i-compbench'))
    lines.push(`T2I-CompBench spatial  ${f(summary.t2i_compbench.score, 4)}  (${summary.t2i_compbench.images} images)`);
  if (benchmarks.has('geneval'))
    lines.push(`GenEval position       ${f(summary.geneval.score, 4)}  (${summary.geneval.images} images)`);
  const rel = Object.entries(summary.per_relation);
  if (rel.length) {
    lines.push('Per relation            n  found  VISOR%     T2I  GenEval%');
    for (const [type, r] of rel) {
      lines.push(
        `  ${type.padEnd(18)} ${String(r.relations).padStart(4)} ${String(r.detected).padStart(6)} ${f(r.visor).padStart(7)} ${f(r.t2iCompbench, 3).padStart(7)} ${f(r.geneval).padStart(9)}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Writes records as they come. JSON is one document whose `per_image` array comes first, so that
 * it can be written image by image and the aggregates, known only at the end, close it.
 */
class RecordWriter {
  readonly #out: ChunkedWriter;
  readonly #format: Format;
  readonly #benchmarks: Set<Benchmark>;
  #count = 0;

  constructor(stream: NodeJS.WritableStream, format: Format, benchmarks: Set<Benchmark>) {
    this.#out = new ChunkedWriter(stream);
    this.#format = format;
    this.#benchmarks = benchmarks;
  }

  async image(p: PerImageResult): Promise<void> {
    const rec = perImageJson(p, this.#benchmarks);
    if (this.#format === 'jsonl') await this.#out.write(JSON.stringify({ type: 'image', ...rec }) + '\n');
    else if (this.#format === 'json') {
      const body = JSON.stringify(rec, null, 2).replace(/\n/g, '\n    ');
      await this.#out.write(`${this.#count === 0 ? '{\n  "per_image": [\n    ' : ',\n    '}${body}`);
    }
    this.#count++;
  }

  async finish(summary: EvaluationSummary): Promise<void> {
    const s = summaryJson(summary, this.#benchmarks);
    if (this.#format === 'jsonl') await this.#out.write(JSON.stringify({ type: 'summary', ...s }) + '\n');
    else if (this.#format === 'json') {
      const head = this.#count === 0 ? '{\n  "per_image": [],' : '\n  ],';
      await this.#out.write(head + JSON.stringify(s, null, 2).slice(1) + '\n');
    } else await this.#out.write(evaluationText(summary, this.#benchmarks));
    await this.#out.flush();
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'a prompts file');
  }
}

function fileError(err: unknown, file: string, expected: string): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputError(`${file}: no such file`);
  if (code === 'EISDIR') return new InputError(`${file}: is a folder, expected ${expected}`);
  return new InputError(`${file}: cannot read (${code ?? (err as Error).message})`);
}

/** Lines of a text file, streamed; `complete` is false for a last line with no newline after it. */
async function* fileLines(file: string): AsyncGenerator<{ line: number; text: string; complete: boolean }> {
  let rest = '';
  let line = 0;
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        const text = rest + chunk.slice(start, nl);
        rest = '';
        start = nl + 1;
        yield { line: ++line, text, complete: true };
      }
      // A long line (a one-line JSON file) grows piece by piece, never re-split.
      rest += chunk.slice(start);
    }
  } catch (err) {
    throw fileError(err, file, 'a prompts file');
  } finally {
    stream.destroy();
  }
  if (rest !== '') yield { line: ++line, text: rest, complete: false };
}

/** What a --prompts file is, decided by its content rather than its name. */
type PromptSetKind = 'sr2d' | 'manifest' | 'prompts-jsonl' | 'prompts';

const NEITHER =
  'expected a batch manifest (lines with prompt_id, variant, detections, eval_prompt), prompts JSONL (lines with a "prompt" or "text" field), SR2D JSON (an array of records) or a prompts file (one prompt a line)';

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

async function sniffPromptSet(file: string): Promise<PromptSetKind> {
  for await (const { line, text } of fileLines(file)) {
    const t = text.replace(/^\uFEFF/, '').trim();
    if (t === '' || (t.startsWith('#') && !/\.(json|jsonl|ndjson)$/i.test(file))) continue;
    // A prompts file may start with "[" too; SR2D is a .json file or one whole JSON array.
    if (t.startsWith('[') && (/\.json$/i.test(file) || isJsonArray(await readText(file)))) return 'sr2d';
    if (!t.startsWith('{')) {
      if (/\.(json|jsonl|ndjson)$/i.test(file)) throw new InputError(`${file}:${line}: not JSON; ${NEITHER}`);
      return 'prompts';
    }
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (err) {
      throw new InputError(`${file}:${line}: not a JSON object on one line (${(err as Error).message}); ${NEITHER}`);
    }
    const o = value as Record<string, unknown>;
    // A best-of batch stopped early may start with a candidate's line.
    if (('eval_prompt' in o && 'detections' in o && 'variant' in o) || isCandidateLine(o)) return 'manifest';
    if (typeof o.prompt === 'string' || typeof o.text === 'string') return 'prompts-jsonl';
    throw new InputError(
      `${file}:${line}: a JSON object with keys ${Object.keys(o).slice(0, 6).join(', ') || '(none)'}; ${NEITHER}`,
    );
  }
  throw new InputError(`${file}: empty; ${NEITHER}`);
}

/** A prompts file (text or JSONL) parsed with the parser; ids are line numbers. */
async function readPrompts(file: string, jsonl: boolean): Promise<EvalPrompt[]> {
  try {
    if (!jsonl || /\.(jsonl|ndjson)$/i.test(file))
      return readPromptFile(file).map((l) => promptFromParsed(String(l.line), parsePrompt(l.text)));
    // JSONL by content under another name: the parser picks JSONL by name, so name it so and
    // put the real name back into any message.
    const bytes = await fs.readFile(file);
    return readPromptSource(bytes, `${file}.jsonl`).map((l) => promptFromParsed(String(l.line), parsePrompt(l.text)));
  } catch (err) {
    if (err instanceof PromptFileError) throw new InputError(err.message.split(`${file}.jsonl`).join(file));
    throw err;
  }
}

/**
 * The manifest's images of one variant, streamed. Corrupted lines are reported and left out, and
 * a line that repeats an image keeps the first, as the batch itself does when it resumes. What is
 * kept to spot repeats grows with the prompts, not the lines: the image indices seen per prompt.
 */
async function* manifestJobs(
  file: string,
  variant: string,
  detector: string | undefined,
  warn: (m: string) => void,
): AsyncGenerator<ImageJob> {
  const seen = new Map<string, Set<number>>();
  for await (const { line, text, complete } of fileLines(file)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      warn(
        `${file}:${line}: skipping a corrupted manifest line (${complete ? 'not valid JSON' : 'truncated (no newline, not valid JSON)'})`,
      );
      continue;
    }
    // A best-of candidate not chosen yet is no image of the batch (the chosen one's line holds them all).
    if (complete && isCandidateLine(value)) continue;
    // Without its newline the last line may have been cut mid-write; the batch re-renders it.
    const problem = complete ? manifestRecordProblem(value) : 'truncated (no final newline)';
    if (problem) {
      warn(`${file}:${line}: skipping a corrupted manifest line (${problem})`);
      continue;
    }
    const r = value as ManifestRecord;
    if (r.variant !== variant) continue;
    let ks = seen.get(r.prompt_id);
    if (!ks) seen.set(r.prompt_id, (ks = new Set()));
    if (ks.has(r.k)) {
      warn(`${file}:${line}: ${r.file} is listed again; the first line is kept`);
      continue;
    }
    ks.add(r.k);
    yield {
      file: r.file,
      promptId: r.prompt_id,
      k: r.k,
      prompt: { ...r.eval_prompt, id: r.prompt_id },
      detections: detector === undefined ? r.detections : null,
      detector: detector ?? r.parameters.detector,
    };
  }
}

/**
 * Every PNG of `dir` (by name) that carries its prompt in a `prompt` text chunk, as render and
 * batch write it. Images of the same prompt text share a prompt id (1, 2, ... in order of first
 * appearance) so that VISOR_n counts them together.
 */
async function* promptChunkJobs(
  dir: string,
  names: string[],
  detector: string,
  onNoPrompt: (file: string) => void,
  warn: (m: string) => void,
): AsyncGenerator<ImageJob> {
  const ids = new Map<string, { id: string; next: number; prompt: EvalPrompt }>();
  for (const file of names) {
    let text: string | undefined;
    try {
      text = readPngText(await fs.readFile(path.join(dir, file))).prompt;
    } catch (err) {
      if (!(err instanceof ImageFormatError)) throw err;
      warn(`${path.join(dir, file)}: skipped, ${err.message}`);
      continue;
    }
    if (text === undefined || text.trim() === '') {
      onNoPrompt(file);
      continue;
    }
    let entry = ids.get(text);
    if (!entry) {
      const id = String(ids.size + 1);
      ids.set(text, (entry = { id, next: 0, prompt: promptFromParsed(id, parsePrompt(text)) }));
    }
    yield { file, promptId: entry.id, k: entry.next++, prompt: entry.prompt, detections: null, detector };
  }
}

async function listPngs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir))
      .filter((n) => /\.png$/i.test(n))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${dir}: no such folder`
        : code === 'ENOTDIR'
          ? `${dir}: not a folder`
          : `${dir}: cannot list (${code})`,
    );
  }
}

const command: Command = {
  name: 'evaluate',
  summary: 'Score images against prompts with VISOR, T2I-CompBench and GenEval rules',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags({
      args: argv,
      options: {
        prompts: { type: 'string' },
        images: { type: 'string' },
        benchmark: { type: 'string' },
        detector: { type: 'string' },
        threshold: { type: 'string' },
        variant: { type: 'string' },
        format: { type: 'string' },
      },
      allowPositionals: false,
    });
    if (values.prompts === undefined && values.images === undefined)
      throw new UsageError('--prompts FILE or --images DIR is required');
    const benchmarks = pickBenchmarks(values.benchmark);
    const format = (values.format ?? 'json') as Format;
    if (!['json', 'jsonl', 'text'].includes(format))
      throw new UsageError(`--format must be json, jsonl or text, got '${format}'`);
    const threshold = parseThreshold(values.threshold);
    const variant = values.variant ?? 'original';
    if (variant !== 'original' && variant !== 'rewrite')
      throw new UsageError(`--variant must be original or rewrite, got '${variant}'`);
    const detector = parseDetectorSpec(values.detector ?? 'embedded', ctx.cwd);
    // The detector's name as manifests record it, which decides its vocabulary when judging.
    const detectorSpec = detectorName(detector);

    const imagesDir = values.images === undefined ? null : path.resolve(ctx.cwd, values.images);
    const progress = new ProgressReporter(ctx.stderr);
    const warn = (m: string): void => {
      progress.finish();
      ctx.stderr.write(`warning: ${m}\n`);
    };
    let jobs: AsyncIterable<ImageJob> | Iterable<ImageJob>;
    let total: number | null = null;
    let needsDetector = true;
    let imagePath: (job: ImageJob) => string;
    const notes: string[] = [];
    let noPrompt = 0;
    let emptyMessage: string;

    if (values.prompts !== undefined) {
      const promptsFile = path.resolve(ctx.cwd, values.prompts);
      const kind = await sniffPromptSet(promptsFile);
      if (kind === 'manifest') {
        // With no --detector the recorded detections are re-judged and no model is needed.
        needsDetector = values.detector !== undefined;
        jobs = manifestJobs(promptsFile, variant, values.detector, warn);
        const base = path.dirname(promptsFile);
        imagePath = (job) =>
          imagesDir === null ? path.join(base, job.file) : path.join(imagesDir, path.basename(job.file));
        emptyMessage = `${promptsFile}: no '${variant}' images in this manifest`;
      } else {
        let prompts: EvalPrompt[];
        try {
          prompts =
            kind === 'sr2d'
              ? parseSr2d(await readText(promptsFile), promptsFile)
              : await readPrompts(promptsFile, kind === 'prompts-jsonl');
        } catch (err) {
          if (err instanceof PromptSetError) throw new InputError(err.message);
          throw err;
        }
        if (imagesDir === null)
          throw new UsageError(
            '--images DIR is required with a prompt set (or leave out --prompts to use the prompt each PNG carries)',
          );
        const matched = matchImages(await listPngs(imagesDir), prompts, detectorSpec);
        // Check the naming before loading a detector model: a wrong folder should fail fast.
        if (matched.jobs.length === 0) {
          throw new InputError(
            `${imagesDir}: no image matched the prompts (expected files named {prompt_id}_{k}.png with ids from ${path.basename(promptsFile)}; for render output, leave out --prompts to use the prompt each PNG carries)`,
          );
        }
        if (matched.unmatched.length)
          notes.push(
            `note: ${matched.unmatched.length} image(s) in ${imagesDir} have no prompt in ${path.basename(promptsFile)}`,
          );
        jobs = matched.jobs;
        total = matched.jobs.length;
        imagePath = (job) => path.join(imagesDir, job.file);
        emptyMessage = `${imagesDir}: no image matched the prompts`;
      }
    } else {
      const dir = imagesDir!;
      const names = await listPngs(dir);
      jobs = promptChunkJobs(dir, names, detectorSpec, () => noPrompt++, warn);
      total = names.length;
      imagePath = (job) => path.join(dir, job.file);
      emptyMessage = `${dir}: no PNG carries its prompt in a text chunk (render and batch write one); pass --prompts FILE for other images`;
    }

    // Detection runs in the inference service, in this process (no model worth a child process);
    // its model loads with the first image, so a re-judged manifest never loads it.
    const service = needsDetector ? inProcessService(ctx) : null;
    const writer = new RecordWriter(ctx.stdout, format, benchmarks);
    const started = Date.now();
    let done = 0;
    try {
      const result = await evaluateImages(
        jobs,
        {
          detect: async (job, nouns) => {
            const file = imagePath(job);
            if (total !== null) {
              const eta = done > 0 ? ((Date.now() - started) / done) * (total - done) : null;
              progress.update(done, total, eta, path.basename(file));
            }
            try {
              return (await service!.call('detect', { imagePath: file, labels: nouns, detector, threshold }, { signal: ctx.signal })).detections;
            } catch (err) {
              if (err instanceof ServiceRequestError && err.remoteName === 'ImageFormatError') {
                warn(`${file}: skipped, ${err.message}`);
                return null;
              }
              if (err instanceof ServiceRequestError && err.code !== undefined) {
                warn(`${file}: skipped, cannot read it (${err.code})`);
                return null;
              }
              throw cliError(err);
            }
          },
        },
        {
          threshold,
          signal: ctx.signal,
          onImage: async (p) => {
            done++;
            await writer.image(p);
          },
        },
      );
      progress.finish();
      if (result.images === 0 && !result.cancelled)
        throw new InputError(result.skipped > 0 ? `no image could be read (${result.skipped} skipped)` : emptyMessage);
      await writer.finish(result.summary);
      for (const n of notes) ctx.stderr.write(`${n}\n`);
      if (noPrompt > 0) ctx.stderr.write(`note: ${noPrompt} PNG(s) carry no prompt text chunk and were left out\n`);
      if (result.cancelled) {
        ctx.stderr.write(`cancelled after ${result.images} image(s); the figures cover those only\n`);
        return 130;
      }
      if (result.skipped > 0) {
        ctx.stderr.write(
          `${result.skipped} image(s) could not be read (see the warnings above); the figures leave them out\n`,
        );
        return 2;
      }
      return 0;
    } finally {
      progress.finish();
      service?.dispose();
    }
  },
};
export default command;
