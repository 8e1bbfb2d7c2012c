/** Plain records of batch rendering: options, injected capabilities, events, manifest lines. */
import type { Detection } from '../protocol/geometry';
import type { BestOfSettings, CandidateScore, EvalPrompt, RelationEvaluation } from '../evaluate/index';

/** One prompt of the batch, with the objects and relations the images are judged against. */
export interface BatchPrompt {
  /** Stable id, used in image names: line number for prompt files, unique_id for SR2D. */
  id: string;
  text: string;
  /** Where it came from ("prompts.txt:12"), for messages and the report. */
  source: string;
  /** What the image must show; the rewrite variant is judged against the original's intent. */
  evalPrompt: EvalPrompt;
}

/** Which prompt text an image was rendered from. */
export type Variant = 'original' | 'rewrite';

/**
 * Everything besides the text and seed that shapes an image; stored in every manifest line and
 * part of each image's resume key (see `renderKey`).
 */
export interface RenderParameters {
  /** Model folder as given, for people; not part of the key (a moved folder is the same model). */
  model: string;
  /** The model's identity (`modelIdentity` of src/render: a hash of its files' sizes and ends). */
  modelId: string;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  /** Scheduler name, or "default" for the model's own (whose config is in `modelId`). */
  scheduler: string;
  /** Negative prompt ("" for none). */
  negativePrompt?: string;
  /**
   * Verified best-of-N (absent for a plain batch, n = 1): each image is the best of `n`
   * candidates. Not part of any image's render key: each candidate has its own (the plain key of
   * its seed), so changing N or the rule reuses the candidates already rendered.
   */
  bestOf?: BestOfSettings;
}

/**
 * How images are judged. Not part of the render: changing it re-judges finished images (from
 * their recorded detections, or by detecting again on their PNGs) instead of rendering them again.
 */
export interface DetectionSettings {
  /** Detector identity ("embedded", "owlvit:/abs/path"); another one detects again. */
  detector: string;
  /** Detections count when they score above this (strict, as in `evaluate`): the user's, else the detector's default. */
  threshold: number;
  /**
   * Score down to which `BatchDeps.detect` reports detections (default: `threshold`). Recorded
   * per image; a later threshold at or above it is applied to the recorded detections, a lower
   * one detects again.
   */
  floor?: number;
}

/** Options of {@link runBatch}. */
export interface BatchOptions {
  prompts: BatchPrompt[];
  outDir: string;
  imagesPerPrompt: number;
  /** Image k of every prompt (and of both variants) uses seed + k. */
  seed: number;
  /** 'off': as written; 'only': only the SPRIGHT-style rewrite; 'both': A/B with the same seeds. */
  rewrite: 'off' | 'only' | 'both';
  render: RenderParameters;
  detection: DetectionSettings;
  /** Start over: ignore (and replace) an existing manifest whose parameters differ. */
  force?: boolean;
}

/** One render the batch asks for. */
export interface RenderJob {
  promptId: string;
  variant: Variant;
  k: number;
  /** The best-of candidate this render is (absent in a plain batch). */
  candidate?: number;
  /** The text actually rendered (the rewrite for the rewrite variant). */
  text: string;
  seed: number;
  parameters: RenderParameters;
}

/** The file operations the batch needs; injected so that tests can simulate a full disk. */
export interface BatchFs {
  mkdir(dir: string): Promise<void>;
  /** Temp file + rename. */
  writeFileAtomic(file: string, data: string | Uint8Array): Promise<void>;
  /** Appends whole lines with one call. */
  appendFile(file: string, data: string): Promise<void>;
  /** Null when the file does not exist. */
  readFile(file: string): Promise<Buffer | null>;
  exists(file: string): Promise<boolean>;
  /** Names in a folder (empty when it does not exist). */
  readdir(dir: string): Promise<string[]>;
  /** Removes a file if present. */
  remove(file: string): Promise<void>;
}

/** Host capabilities the batch runs on. */
export interface BatchDeps {
  /**
   * Renders one image and writes it, atomically, to `file` (its place in the output folder);
   * resolves to its size. The inference service writes the file itself, so the PNG never passes
   * through the batch.
   */
  render(job: RenderJob, file: string, signal: AbortSignal, onStep: (step: number, total: number) => void): Promise<{ width: number; height: number }>;
  /** Detects the given nouns in the PNG at `file`: every detection scoring at least the detection floor. */
  detect(file: string, labels: string[], signal: AbortSignal): Promise<Detection[]>;
  /** SPRIGHT-style rewrite of a prompt. */
  rewrite(text: string, seed: number): string;
  now(): number;
  fs?: BatchFs;
}

/** Progress of the batch. */
export interface BatchProgress {
  done: number;
  total: number;
  /** Estimated time left from this run's pace; null before the first image. */
  etaMs: number | null;
  /** The image being rendered now, if any. */
  current: {
    promptId: string;
    variant: Variant;
    k: number;
    /** Best-of: the candidate being made, of `candidates`. */
    candidate?: number;
    candidates?: number;
    step?: number;
    steps?: number;
  } | null;
}

/** Callbacks of {@link runBatch}. */
export interface BatchEvents {
  onProgress?(p: BatchProgress): void;
  onImage?(record: ManifestRecord): void;
  /** Problems that do not stop the batch (a corrupted manifest line). */
  onWarning?(message: string): void;
}

/** One line of manifest.jsonl: one finished image. */
export interface ManifestRecord {
  /** Hash of everything that shaped the image (text, variant, seed, parameters, model identity). */
  render_key: string;
  prompt_id: string;
  /** The prompt as written. */
  prompt: string;
  source: string;
  variant: Variant;
  /** The rewrite, for the rewrite variant; null otherwise. */
  rewrite: string | null;
  k: number;
  seed: number;
  /** Image path relative to the output folder. */
  file: string;
  width: number;
  height: number;
  /** The render parameters, and the detector that produced `raw_detections` (what `evaluate` reads). */
  parameters: RenderParameters & { detector: string };
  timings: { render_ms: number; detect_ms: number };
  /** The score floor `raw_detections` reach down to. */
  raw_floor: number;
  /** Every detection at or above `raw_floor`, with scores: what a new threshold is applied to. */
  raw_detections: Detection[];
  /** The (strict) threshold applied for `detections` and `relations`. */
  threshold: number;
  /** The raw detections scoring above `threshold`: the ones the verdicts were made on. */
  detections: Detection[];
  /** The objects and relations the image was judged against (lets `evaluate` re-score it). */
  eval_prompt: EvalPrompt;
  relations: RelationVerdicts;
  finished_at: string;
  /** Present when the image is the best of several candidates: every candidate and the choice. */
  best_of?: BestOfRecord;
}

/** Each relation of a judged image with every rule's verdict, as manifest lines keep them. */
export type RelationVerdicts = Array<Pick<RelationEvaluation, 'subject' | 'relation' | 'object' | 'status' | 'visor' | 't2iCompbench' | 'geneval'>>;

/** One candidate of a best-of image: its PNG, its detections, and how it scored. */
export interface CandidateRecord {
  /** Candidate number j, from 0 (candidate 0 is the image a plain batch renders for this k). */
  index: number;
  seed: number;
  /** The render key of this candidate's pixels (the plain key of its seed). */
  render_key: string;
  /** Path relative to the output folder: `candidates/{prompt_id}_{k}.c{j}.png` (in `rewrite/` for rewrites). */
  file: string;
  width: number;
  height: number;
  timings: { render_ms: number; detect_ms: number };
  /** The detector that produced `raw_detections`. */
  detector: string;
  raw_floor: number;
  raw_detections: Detection[];
  /** The raw detections above the record's threshold. */
  detections: Detection[];
  relations: RelationVerdicts;
  /** Its score under the best-of rule on `detections`. */
  score: CandidateScore;
  finished_at: string;
}

/** How a best-of image was chosen (a manifest line's `best_of`). */
export interface BestOfRecord {
  n: number;
  until_satisfied: boolean;
  rule: BestOfSettings['rule'];
  /** Index into `candidates` of the image at the line's `file` (whose fields are that candidate's). */
  chosen: number;
  /** The detector whose detections picked it; the same one scored it, so any gain is an upper bound. */
  picked_by: string;
  /** The candidates that took part, in order (with `until_satisfied`, up to the first that satisfied every relation). */
  candidates: CandidateRecord[];
}

/**
 * A manifest line for a candidate finished before its image was: a stopped or killed batch
 * resumes candidate by candidate. It has no top-level `prompt_id`, so no reader takes it for an
 * image; the image's own line replaces it.
 */
export interface CandidateLine extends CandidateRecord {
  type: 'candidate';
  variant: Variant;
  image: { prompt_id: string; k: number };
}

/** What {@link runBatch} returns. */
export interface BatchResult {
  /** Images rendered in this run. */
  rendered: number;
  /** Images found finished in the manifest. */
  skipped: number;
  /** Finished images judged again because the detector or the threshold changed (no render). */
  redetected: number;
  /** Best-of candidates rendered in this run (equal to `rendered` in a plain batch). */
  candidatesRendered: number;
  total: number;
  /** True when stopped by the signal before the end. */
  cancelled: boolean;
  /** Manifest lines that could not be read (reported and re-rendered). */
  corruptedLines: number[];
  records: ManifestRecord[];
}

/**
 * An image that failed for good: its render or its judging failed every attempt (a queued batch
 * records these in failed.jsonl and lists them in the report; the batch completes without them).
 */
export interface FailedImage {
  /** The image's resume key. */
  render_key: string;
  prompt_id: string;
  variant: Variant;
  k: number;
  seed: number;
  /** Where the image would be, relative to the output folder. */
  file: string;
  /** The last attempt's error. */
  error: string;
  attempts: number;
  failed_at: string;
}
