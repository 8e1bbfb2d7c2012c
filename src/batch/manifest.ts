/** Reading manifest.jsonl: every valid line is a finished image; anything else is reported. */
import { createHash } from 'node:crypto';
import type { CandidateLine, ManifestRecord, RenderParameters, Variant } from './types';

/** A manifest line that could not be used, with its 1-based line number and why. */
export interface CorruptedLine {
  line: number;
  reason: string;
}

/** The parameters every image of a batch shares; a change is refused without --force. */
const PARAM_KEYS: ReadonlyArray<keyof RenderParameters> = [
  'modelId',
  'steps',
  'guidance',
  'width',
  'height',
  'scheduler',
  'negativePrompt',
];

/** Why a parsed manifest line is not a usable record ("missing \"seed\""), or null when it is one. */
export function manifestRecordProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  for (const k of ['prompt_id', 'prompt', 'file'] as const) if (typeof r[k] !== 'string') return `missing "${k}"`;
  if (r.variant !== 'original' && r.variant !== 'rewrite') return 'bad "variant"';
  if (!Number.isInteger(r.k) || (r.k as number) < 0) return 'bad "k"';
  if (typeof r.seed !== 'number') return 'missing "seed"';
  if (typeof r.render_key !== 'string') return 'missing "render_key" (written by an older version)';
  if (!Array.isArray(r.detections) || !Array.isArray(r.raw_detections)) return 'missing "detections"';
  if (typeof r.threshold !== 'number' || typeof r.raw_floor !== 'number') return 'missing "threshold" or "raw_floor"';
  const ep = r.eval_prompt as Record<string, unknown> | undefined;
  if (typeof ep !== 'object' || ep === null || !Array.isArray(ep.objects) || !Array.isArray(ep.relations)) return 'missing "eval_prompt"';
  const p = r.parameters as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null || typeof p.detector !== 'string' || PARAM_KEYS.some((k) => k !== 'negativePrompt' && !(k in p)))
    return 'missing "parameters"';
  return null;
}

/** Whether a parsed manifest line is a best-of candidate's (not an image's): readers of images skip it. */
export function isCandidateLine(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'candidate';
}

/** Why a parsed candidate line is not usable, or null when it is one. */
export function candidateLineProblem(v: unknown): string | null {
  const r = v as Record<string, unknown>;
  if (r.variant !== 'original' && r.variant !== 'rewrite') return 'bad "variant"';
  const image = r.image as Record<string, unknown> | undefined;
  if (typeof image !== 'object' || image === null || typeof image.prompt_id !== 'string' || !Number.isInteger(image.k)) return 'missing "image"';
  if (!Number.isInteger(r.index) || typeof r.seed !== 'number' || typeof r.render_key !== 'string' || typeof r.file !== 'string') return 'bad candidate';
  if (typeof r.detector !== 'string' || typeof r.raw_floor !== 'number' || !Array.isArray(r.raw_detections)) return 'missing "raw_detections"';
  return null;
}

/**
 * Parses manifest text; a truncated last line or any malformed line lands in `corrupted`. Image
 * lines go to `records`, lines of best-of candidates whose image was not finished to `candidates`.
 */
export function parseManifest(text: string): { records: ManifestRecord[]; candidates: CandidateLine[]; corrupted: CorruptedLine[] } {
  const records: ManifestRecord[] = [];
  const candidates: CandidateLine[] = [];
  const corrupted: CorruptedLine[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    // Without its newline the last line may have been cut mid-write, even if it parses.
    const truncated = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      corrupted.push({ line: i + 1, reason: truncated ? 'truncated (no newline, not valid JSON)' : 'not valid JSON' });
      return;
    }
    const candidate = isCandidateLine(value);
    const why = truncated ? 'truncated (no final newline)' : candidate ? candidateLineProblem(value) : manifestRecordProblem(value);
    if (why) corrupted.push({ line: i + 1, reason: why });
    else if (candidate) candidates.push(value as CandidateLine);
    else records.push(value as ManifestRecord);
  });
  return { records, candidates, corrupted };
}

/** The key of one image in a batch. */
export function imageKey(variant: Variant, promptId: string, k: number): string {
  return `${variant}\u0000${promptId}\u0000${k}`;
}

/** Names the parameters that differ between two runs ("steps 20 -> 30"), empty when equal. */
export function parameterDifferences(old: RenderParameters, now: RenderParameters): string[] {
  const value = (p: RenderParameters, k: keyof RenderParameters): unknown =>
    k === 'negativePrompt' ? (p[k] ?? '') : p[k];
  return PARAM_KEYS.filter((k) => value(old, k) !== value(now, k)).map((k) =>
    k === 'modelId'
      ? `model ${old.modelId} -> ${now.modelId} (other model files)`
      : `${k} ${JSON.stringify(value(old, k))} -> ${JSON.stringify(value(now, k))}`,
  );
}

/** What shapes one image. */
export interface RenderKeyInput {
  variant: Variant;
  /** The text actually rendered. */
  text: string;
  seed: number;
  parameters: RenderParameters;
}

/**
 * The resume key of one image: SHA-256 over the rendered text, variant, seed and every render
 * parameter including the model identity (not its path). Equal keys mean the same pixels.
 */
export function renderKey(job: RenderKeyInput): string {
  const p = job.parameters;
  const fields = [
    1,
    job.variant,
    job.text,
    job.seed,
    p.modelId,
    p.steps,
    p.guidance,
    p.width,
    p.height,
    p.scheduler,
    p.negativePrompt ?? '',
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 32);
}
