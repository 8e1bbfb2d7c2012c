/** Reading manifest.jsonl: every valid line is a finished image; anything else is reported. */
import type { ManifestRecord, RenderParameters, Variant } from './types';

/** A manifest line that could not be used, with its 1-based line number and why. */
export interface CorruptedLine {
  line: number;
  reason: string;
}

const PARAM_KEYS: ReadonlyArray<keyof RenderParameters> = ['model', 'steps', 'guidance', 'width', 'height', 'scheduler', 'detector'];

/** Why a parsed manifest line is not a usable record ("missing \"seed\""), or null when it is one. */
export function manifestRecordProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  for (const k of ['prompt_id', 'prompt', 'file'] as const) if (typeof r[k] !== 'string') return `missing "${k}"`;
  if (r.variant !== 'original' && r.variant !== 'rewrite') return 'bad "variant"';
  if (!Number.isInteger(r.k) || (r.k as number) < 0) return 'bad "k"';
  if (typeof r.seed !== 'number') return 'missing "seed"';
  if (!Array.isArray(r.detections)) return 'missing "detections"';
  const ep = r.eval_prompt as Record<string, unknown> | undefined;
  if (typeof ep !== 'object' || ep === null || !Array.isArray(ep.objects) || !Array.isArray(ep.relations)) return 'missing "eval_prompt"';
  const p = r.parameters as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null || PARAM_KEYS.some((k) => !(k in p))) return 'missing "parameters"';
  return null;
}

/** Parses manifest text; a truncated last line or any malformed line lands in `corrupted`. */
export function parseManifest(text: string): { records: ManifestRecord[]; corrupted: CorruptedLine[] } {
  const records: ManifestRecord[] = [];
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
    const why = truncated ? 'truncated (no final newline)' : manifestRecordProblem(value);
    if (why) corrupted.push({ line: i + 1, reason: why });
    else records.push(value as ManifestRecord);
  });
  return { records, corrupted };
}

/** The key of one image in a batch. */
export function imageKey(variant: Variant, promptId: string, k: number): string {
  return `${variant}\u0000${promptId}\u0000${k}`;
}

/** Names the parameters that differ between two runs ("steps 20 -> 30"), empty when equal. */
export function parameterDifferences(old: RenderParameters, now: RenderParameters): string[] {
  return PARAM_KEYS.filter((k) => old[k] !== now[k]).map((k) => `${k} ${JSON.stringify(old[k])} -> ${JSON.stringify(now[k])}`);
}
