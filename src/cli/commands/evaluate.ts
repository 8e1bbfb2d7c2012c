/** `spright-lens evaluate`: judges a folder of VISOR-named images against a prompt set. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseThreshold } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { evaluateFolder, parseImageName, parseSr2d, promptFromParsed, PromptSetError } from '../../evaluate/index';
import type { EvalPrompt, EvaluationSummary, PerImageResult } from '../../evaluate/index';
import { parseManifest, ProgressReporter } from '../../batch/index';
import type { ManifestRecord } from '../../batch/index';
import { decodePng, ImageFormatError } from '../../image/index';
import type { RgbaImage } from '../../image/index';
import type { Detection } from '../../protocol/geometry';
import { parsePrompt, PromptFileError, readPromptFile } from '../../parser/index';
import { COCO_LABELS, createDetector, mapToDetectorLabel, ModelLoadError } from '../../detect/index';
import type { Detector, DetectorSpec } from '../../detect/index';

const USAGE = `Usage: spright-lens evaluate --prompts FILE --images DIR [options]

Judges every image named {prompt_id}_{k}.png in DIR against its prompt with the benchmarks'
own spatial rules (VISOR, T2I-CompBench 2D, GenEval position) and prints their aggregates.

FILE is one of:
  *.json    VISOR's SR2D records (objects and relation from the record fields)
  *.jsonl   a batch manifest.jsonl (images default to its folder; recorded detections are
            re-judged unless --detector is given)
  other     a prompts file, one prompt a line; image ids are line numbers

Options:
  --prompts FILE         prompt set (required)
  --images DIR           image folder (required except for a manifest)
  --benchmark NAME       visor | t2i-compbench | geneval | all (default all)
  --detector SPEC        embedded (default: NanoDet, COCO) | owlvit:DIR (OWL-ViT ONNX export)
  --threshold X          minimum detection score (default: the detector's own)
  --variant NAME         for a manifest: original (default) | rewrite
  --format json|text     output format (default json)

VISOR figures are in percent as in the paper; T2I-CompBench is a mean score in 0..1; GenEval is
the fraction of images correct. Exit 2 on bad input.
`;

type Benchmark = 'visor' | 't2i-compbench' | 'geneval';

/** A detector as the CLI commands use it: label mapping at once, the model loaded on first use. */
export interface CliDetector {
  name: string;
  labelFor(noun: string): string | null;
  detect(image: RgbaImage, nouns: string[]): Promise<Detection[]>;
  dispose(): void;
}

/**
 * Parses --detector. The model loads on the first `detect` call, so that a run with nothing left
 * to do (a finished batch, a manifest re-judged) never pays for it.
 */
export function loadCliDetector(spec: string, cwd: string, threshold?: number): CliDetector {
  let arg: DetectorSpec;
  if (spec === 'embedded') arg = { kind: 'embedded' };
  else if (spec.startsWith('owlvit:') && spec.length > 'owlvit:'.length) arg = { kind: 'owlvit', modelDir: path.resolve(cwd, spec.slice(7)) };
  else throw new UsageError(`--detector must be 'embedded' or 'owlvit:DIR', got '${spec}'`);
  // The embedded detector knows COCO; OWL-ViT takes any noun as its query.
  const vocabulary = arg.kind === 'embedded' ? COCO_LABELS : null;
  let loading: Promise<Detector> | null = null;
  const load = (): Promise<Detector> =>
    (loading ??= createDetector(arg).catch((err: unknown) => {
      if (err instanceof ModelLoadError) throw new InputError(err.message);
      throw err;
    }));
  return {
    name: spec,
    labelFor: (noun) => mapToDetectorLabel(noun, vocabulary),
    detect: async (image, nouns) => (await load()).detect(image, { labels: nouns, threshold }),
    dispose: () => {
      void loading?.then((d) => d.dispose(), () => undefined);
    },
  };
}

/** Reads a prompts file with the parser: one prompt per line, id = line number. */
export function readPromptsFile(file: string): Array<{ id: string; source: string; text: string; evalPrompt: EvalPrompt }> {
  try {
    return readPromptFile(file).map((l) => ({ id: String(l.line), source: l.source, text: l.text, evalPrompt: promptFromParsed(String(l.line), parsePrompt(l.text)) }));
  } catch (err) {
    if (err instanceof PromptFileError) throw new InputError(err.message);
    throw err;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such file`);
    if (code === 'EISDIR') throw new InputError(`${file}: is a folder, expected a prompts file`);
    throw new InputError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
}

function pickBenchmarks(v: string | undefined): Set<Benchmark> {
  const all: Benchmark[] = ['visor', 't2i-compbench', 'geneval'];
  if (v === undefined || v === 'all') return new Set(all);
  if ((all as string[]).includes(v)) return new Set([v as Benchmark]);
  throw new UsageError(`--benchmark must be visor, t2i-compbench, geneval or all, got '${v}'`);
}

/** The JSON document `evaluate` prints. */
export function evaluationJson(summary: EvaluationSummary, perImage: PerImageResult[], benchmarks: Set<Benchmark>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (benchmarks.has('visor')) {
    const v = summary.visor;
    out.visor = { oa: v.oa, cond: v.cond, uncond: v.uncond, visor_1: v.visor_1, visor_2: v.visor_2, visor_3: v.visor_3, visor_4: v.visor_4, images: v.images, prompts: v.prompts };
  }
  if (benchmarks.has('t2i-compbench')) out.t2i_compbench = summary.t2i_compbench;
  if (benchmarks.has('geneval')) out.geneval = summary.geneval;
  out.per_relation = summary.per_relation;
  out.per_image = perImage.map((p) => {
    const nounOf = new Map(p.evaluation.objects.map((o) => [o.id, o.noun]));
    const e = p.evaluation;
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
        ...(benchmarks.has('visor') ? { visor: r.visor } : {}),
        ...(benchmarks.has('t2i-compbench') ? { t2i_compbench: r.t2iCompbench } : {}),
        ...(benchmarks.has('geneval') ? { geneval: r.geneval } : {}),
      })),
      ...(benchmarks.has('visor') ? { visor: e.visor } : {}),
      ...(benchmarks.has('t2i-compbench') ? { t2i_compbench: e.t2iCompbench } : {}),
      ...(benchmarks.has('geneval') ? { geneval: e.geneval } : {}),
    };
  });
  return out;
}

const f = (v: number | null, d = 2): string => (v === null ? '–' : v.toFixed(d));

/** The human-readable summary of `evaluate --format text`. */
export function evaluationText(summary: EvaluationSummary, benchmarks: Set<Benchmark>): string {
  const lines: string[] = [];
  if (benchmarks.has('visor')) {
    const v = summary.visor;
    lines.push(`VISOR (${v.images} images of ${v.prompts} two-object prompts, percent)`);
    lines.push(`  OA ${f(v.oa)}   cond ${f(v.cond)}   uncond ${f(v.uncond)}`);
    lines.push(`  VISOR-1 ${f(v.visor_1)}   VISOR-2 ${f(v.visor_2)}   VISOR-3 ${f(v.visor_3)}   VISOR-4 ${f(v.visor_4)}`);
  }
  if (benchmarks.has('t2i-compbench')) lines.push(`T2I-CompBench spatial  ${f(summary.t2i_compbench.score, 4)}  (${summary.t2i_compbench.images} images)`);
  if (benchmarks.has('geneval')) lines.push(`GenEval position       ${f(summary.geneval.score, 4)}  (${summary.geneval.images} images)`);
  const rel = Object.entries(summary.per_relation);
  if (rel.length) {
    lines.push('Per relation            n  found  VISOR%     T2I  GenEval%');
    for (const [type, r] of rel) {
      lines.push(`  ${type.padEnd(18)} ${String(r.relations).padStart(4)} ${String(r.detected).padStart(6)} ${f(r.visor).padStart(7)} ${f(r.t2iCompbench, 3).padStart(7)} ${f(r.geneval).padStart(9)}`);
    }
  }
  return lines.join('\n') + '\n';
}

const command: Command = {
  name: 'evaluate',
  summary: 'Score a folder of images against prompts with VISOR, T2I-CompBench and GenEval rules',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
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
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!values.prompts) throw new UsageError('--prompts FILE is required');
    const benchmarks = pickBenchmarks(values.benchmark);
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'text') throw new UsageError(`--format must be json or text, got '${format}'`);
    const threshold = parseThreshold(values.threshold);
    const variant = values.variant ?? 'original';
    if (variant !== 'original' && variant !== 'rewrite') throw new UsageError(`--variant must be original or rewrite, got '${variant}'`);

    const promptsFile = path.resolve(ctx.cwd, values.prompts);
    const text = await readText(promptsFile);
    let prompts: EvalPrompt[];
    let recorded: Map<string, Detection[]> | null = null;
    let imagesDir = values.images === undefined ? null : path.resolve(ctx.cwd, values.images);
    try {
      if (/\.jsonl$/i.test(promptsFile)) {
        const { records, corrupted } = parseManifest(text);
        for (const c of corrupted) ctx.stderr.write(`warning: ${promptsFile}:${c.line}: skipping a corrupted manifest line (${c.reason})\n`);
        const mine = records.filter((r: ManifestRecord) => r.variant === variant);
        if (mine.length === 0) throw new InputError(`${promptsFile}: no '${variant}' images in this manifest`);
        const seen = new Map<string, EvalPrompt>();
        for (const r of mine) seen.set(r.prompt_id, { ...r.eval_prompt, id: r.prompt_id });
        prompts = [...seen.values()];
        const base = path.dirname(promptsFile);
        imagesDir ??= variant === 'rewrite' ? path.join(base, 'rewrite') : base;
        recorded = new Map(mine.map((r) => [path.basename(r.file), r.detections]));
      } else if (/\.json$/i.test(promptsFile)) {
        prompts = parseSr2d(text, promptsFile);
      } else {
        prompts = readPromptsFile(promptsFile).map((p) => p.evalPrompt);
      }
    } catch (err) {
      if (err instanceof PromptSetError) throw new InputError(err.message);
      throw err;
    }
    if (imagesDir === null) throw new UsageError('--images DIR is required');
    const dir = imagesDir;
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => /\.png$/i.test(n));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? `${dir}: no such folder` : code === 'ENOTDIR' ? `${dir}: not a folder` : `${dir}: cannot list (${code})`);
    }

    // Check the naming before loading a detector model: a wrong folder should fail fast.
    const ids = new Set(prompts.map((p) => p.id));
    if (!names.some((n) => ids.has(parseImageName(n)?.promptId ?? '\u0000'))) {
      throw new InputError(`${dir}: no image matched the prompts (expected files named {prompt_id}_{k}.png with ids from ${path.basename(promptsFile)})`);
    }

    // With a manifest and no --detector, re-judge the recorded detections (no model needed).
    const detector = recorded && values.detector === undefined ? null : loadCliDetector(values.detector ?? 'embedded', ctx.cwd, threshold);
    const progress = new ProgressReporter(ctx.stderr);
    try {
      const started = Date.now();
      const result = await evaluateFolder(
        prompts,
        {
          listImages: () => Promise.resolve(names),
          labelFor: detector ? (n) => detector.labelFor(n) : undefined,
          detect: async (file, nouns) => {
            if (!detector) return recorded!.get(file) ?? [];
            let image: RgbaImage;
            try {
              image = decodePng(await fs.readFile(path.join(dir, file)));
            } catch (err) {
              if (err instanceof ImageFormatError) throw new InputError(`${path.join(dir, file)}: ${err.message}`);
              throw err;
            }
            return detector.detect(image, nouns);
          },
        },
        {
          threshold,
          signal: ctx.signal,
          onProgress: (done, total, file) => {
            const eta = done > 0 ? ((Date.now() - started) / done) * (total - done) : null;
            progress.update(done, total, eta, file, done === total);
          },
        },
      );
      progress.finish();
      if (result.perImage.length === 0 && !result.cancelled) {
        throw new InputError(`${dir}: no image matched the prompts (expected files named {prompt_id}_{k}.png with ids from ${path.basename(promptsFile)})`);
      }
      if (result.unmatched.length) ctx.stderr.write(`note: ${result.unmatched.length} image(s) in ${dir} have no prompt in ${path.basename(promptsFile)}\n`);
      if (format === 'json') ctx.stdout.write(JSON.stringify(evaluationJson(result.summary, result.perImage, benchmarks), null, 2) + '\n');
      else ctx.stdout.write(evaluationText(result.summary, benchmarks));
      if (result.cancelled) {
        ctx.stderr.write(`cancelled after ${result.perImage.length} image(s); the figures cover those only\n`);
        return 130;
      }
      return 0;
    } finally {
      progress.finish();
      detector?.dispose();
    }
  },
};
export default command;
