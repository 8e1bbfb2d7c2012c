/** Plain records of batch rendering: options, injected capabilities, events, manifest lines. */
import type { Detection } from '../protocol/geometry';
import type { EvalPrompt, RelationEvaluation } from '../evaluate/index';

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

/** Rendering parameters; stored in every manifest line and compared on resume. */
export interface RenderParameters {
  /** Model folder (or name) as given; part of the resume check. */
  model: string;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  scheduler: string;
  /** Detector description ("embedded", "owlvit:/path"). */
  detector: string;
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
  /** Start over: ignore (and replace) an existing manifest whose parameters differ. */
  force?: boolean;
  /** Detections count when they score above this (strict); 0 trusts the detector's own threshold. */
  threshold?: number;
}

/** One render the batch asks for. */
export interface RenderJob {
  promptId: string;
  variant: Variant;
  k: number;
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
  /** Renders one image; resolves to PNG bytes. */
  render(job: RenderJob, signal: AbortSignal, onStep: (step: number, total: number) => void): Promise<Buffer>;
  /** Detects the given nouns in a PNG. */
  detect(png: Buffer, labels: string[], signal: AbortSignal): Promise<Detection[]>;
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
  current: { promptId: string; variant: Variant; k: number; step?: number; steps?: number } | null;
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
  parameters: RenderParameters;
  timings: { render_ms: number; detect_ms: number };
  detections: Detection[];
  /** The objects and relations the image was judged against (lets `evaluate` re-score it). */
  eval_prompt: EvalPrompt;
  relations: Array<Pick<RelationEvaluation, 'subject' | 'relation' | 'object' | 'status' | 'visor' | 't2iCompbench' | 'geneval'>>;
  finished_at: string;
}

/** What {@link runBatch} returns. */
export interface BatchResult {
  /** Images rendered in this run. */
  rendered: number;
  /** Images found finished in the manifest. */
  skipped: number;
  total: number;
  /** True when stopped by the signal before the end. */
  cancelled: boolean;
  /** Manifest lines that could not be read (reported and re-rendered). */
  corruptedLines: number[];
  records: ManifestRecord[];
}
