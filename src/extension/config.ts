// Typed settings, read at the time of use and per resource (house style 9): nothing here is
// cached, defaults and clamping are applied on read, and callers turn the result into plain
// options objects before handing it to the core. To add a setting, see CONTRIBUTING.md.
import * as vscode from 'vscode';

/** The configuration section every key lives under. */
export const SECTION = 'sprightLens';

/** Keys whose change means a loaded model/detector must be reloaded (house style 10). */
export const RELOAD_MODEL_KEYS: readonly string[] = [
  'sprightLens.render.modelPath',
  'sprightLens.render.provider',
  'sprightLens.render.deviceId',
  'sprightLens.detect.detector',
  'sprightLens.detect.owlvitPath',
];

function section(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

function bool(cfg: vscode.WorkspaceConfiguration, key: string, fallback: boolean): boolean {
  const v = cfg.get<unknown>(key);
  return typeof v === 'boolean' ? v : fallback;
}

function num(cfg: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number, max: number, integer = true): number {
  const v = cfg.get<unknown>(key);
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  const n = integer ? Math.round(v) : v;
  return Math.min(max, Math.max(min, n));
}

function str(cfg: vscode.WorkspaceConfiguration, key: string, fallback: string): string {
  const v = cfg.get<unknown>(key);
  return typeof v === 'string' ? v : fallback;
}

function oneOf<T extends string>(cfg: vscode.WorkspaceConfiguration, key: string, allowed: readonly T[], fallback: T): T {
  const v = cfg.get<unknown>(key);
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

/**
 * A path-like setting that can point at executables or model files: in an untrusted workspace
 * only the user's (global) value counts, so a cloned repository cannot make us load its files.
 */
function trustedPath(cfg: vscode.WorkspaceConfiguration, key: string): string {
  return pathSettingForTrust(cfg, key, vscode.workspace.isTrusted);
}

/**
 * The trust rule behind `trustedPath`, with trust passed in: trusted sees the effective value
 * (workspace folder > workspace > user), untrusted only the user's. Exported so the integration
 * suite can run it against real configuration in a window it cannot make untrusted.
 */
export function pathSettingForTrust(cfg: vscode.WorkspaceConfiguration, key: string, trusted: boolean): string {
  if (trusted) return str(cfg, key, '');
  const g = cfg.inspect<unknown>(key)?.globalValue;
  return typeof g === 'string' ? g : '';
}

// ---- language features -------------------------------------------------------------------

export const REWRITE_TARGETS = ['inPlace', 'siblingFile'] as const;
export type RewriteTarget = (typeof REWRITE_TARGETS)[number];

export function diagnosticsEnabled(scope?: vscode.ConfigurationScope): boolean {
  return bool(section(scope), 'diagnostics.enabled', true);
}

/** Delay after the last keystroke before re-analysing, clamped to 0..5000 ms. */
export function diagnosticsDebounceMs(scope?: vscode.ConfigurationScope): number {
  return num(section(scope), 'diagnostics.debounceMs', 250, 0, 5000);
}

export function inlayHintsEnabled(scope?: vscode.ConfigurationScope): boolean {
  return bool(section(scope), 'inlayHints.enabled', true);
}

export function decorationsEnabled(scope?: vscode.ConfigurationScope): boolean {
  return bool(section(scope), 'decorations.enabled', true);
}

export function codeLensEnabled(scope?: vscode.ConfigurationScope): boolean {
  return bool(section(scope), 'codeLens.enabled', true);
}

export function enableForTxt(scope?: vscode.ConfigurationScope): boolean {
  return bool(section(scope), 'enableForTxt', false);
}

/** Options for the rewrite commands, as plain data. */
export interface RewriteSettings {
  target: RewriteTarget;
  seed: number;
  llm: { enabled: boolean; url: string; model: string };
}

export function rewriteSettings(scope?: vscode.ConfigurationScope): RewriteSettings {
  const cfg = section(scope);
  return {
    target: oneOf(cfg, 'rewrite.target', REWRITE_TARGETS, 'inPlace'),
    seed: num(cfg, 'rewrite.seed', 0, 0, 2 ** 31 - 1),
    llm: {
      enabled: bool(cfg, 'rewrite.llm.enabled', false),
      url: str(cfg, 'rewrite.llm.url', 'http://127.0.0.1:8080/v1').trim() || 'http://127.0.0.1:8080/v1',
      model: str(cfg, 'rewrite.llm.model', '').trim(),
    },
  };
}

// ---- layout, render, detection, evaluation, batch (preview panel) ------------------------------

export const RENDER_PROVIDERS = ['auto', 'cuda', 'webgpu', 'cpu'] as const;
export type RenderProvider = (typeof RENDER_PROVIDERS)[number];
export const SCHEDULERS = ['dpmpp_2m', 'ddim', 'euler', 'euler_a'] as const;
export const MEMORY_MODES = ['speed', 'balanced', 'low'] as const;
export type RenderMemory = (typeof MEMORY_MODES)[number];
export type Scheduler = (typeof SCHEDULERS)[number];
export const DETECTORS = ['embedded', 'owlvit'] as const;
export type Detector = (typeof DETECTORS)[number];
export const EVALUATION_RULES = ['visor', 't2i-compbench', 'geneval'] as const;
export type EvaluationRule = (typeof EVALUATION_RULES)[number];
export const BATCH_REWRITE_MODES = ['off', 'only', 'both'] as const;
export type BatchRewriteMode = (typeof BATCH_REWRITE_MODES)[number];

/** Canvas size for the layout planner, clamped to 64..4096 px. */
export function layoutSize(scope?: vscode.ConfigurationScope): { width: number; height: number } {
  const cfg = section(scope);
  return { width: num(cfg, 'layout.width', 768, 64, 4096), height: num(cfg, 'layout.height', 768, 64, 4096) };
}

/** Render options as plain data; `modelPath` honours workspace trust (global value only when untrusted). */
export interface RenderSettings {
  modelPath: string;
  provider: RenderProvider;
  deviceId: number;
  /** What the worker keeps loaded between renders. */
  memory: RenderMemory;
  /** CPU provider threads; 0 means the physical cores. */
  threads: number;
  steps: number;
  guidance: number;
  scheduler: Scheduler;
  width: number;
  height: number;
  /** -1 means a fresh random seed per render. */
  seed: number;
  negativePrompt: string;
  outputFolder: string;
  useRewrite: boolean;
}

export function renderSettings(scope?: vscode.ConfigurationScope): RenderSettings {
  const cfg = section(scope);
  // Stable Diffusion latents are 1/8 of the image, so sizes snap to multiples of 8.
  const snap8 = (n: number): number => Math.max(64, Math.round(n / 8) * 8);
  return {
    modelPath: trustedPath(cfg, 'render.modelPath'),
    provider: oneOf(cfg, 'render.provider', RENDER_PROVIDERS, 'auto'),
    deviceId: num(cfg, 'render.deviceId', 0, 0, 64),
    memory: oneOf(cfg, 'render.memory', MEMORY_MODES, 'speed'),
    threads: num(cfg, 'render.threads', 0, 0, 256),
    steps: num(cfg, 'render.steps', 25, 1, 200),
    guidance: num(cfg, 'render.guidance', 7.5, 0, 30, false),
    scheduler: oneOf(cfg, 'render.scheduler', SCHEDULERS, 'dpmpp_2m'),
    width: snap8(num(cfg, 'render.width', 768, 64, 2048)),
    height: snap8(num(cfg, 'render.height', 768, 64, 2048)),
    seed: num(cfg, 'render.seed', -1, -1, 2 ** 31 - 1),
    negativePrompt: str(cfg, 'render.negativePrompt', ''),
    outputFolder: str(cfg, 'render.outputFolder', '').trim(),
    useRewrite: bool(cfg, 'render.useRewrite', false),
  };
}

/** Detector options; `owlvitPath` honours workspace trust. */
export interface DetectSettings {
  detector: Detector;
  owlvitPath: string;
}

export function detectSettings(scope?: vscode.ConfigurationScope): DetectSettings {
  const cfg = section(scope);
  return {
    detector: oneOf(cfg, 'detect.detector', DETECTORS, 'embedded'),
    owlvitPath: trustedPath(cfg, 'detect.owlvitPath'),
  };
}

export function evaluationRule(scope?: vscode.ConfigurationScope): EvaluationRule {
  return oneOf(section(scope), 'evaluate.rule', EVALUATION_RULES, 'visor');
}

export interface BatchSettings {
  imagesPerPrompt: number;
  rewrite: BatchRewriteMode;
}

export function batchSettings(scope?: vscode.ConfigurationScope): BatchSettings {
  const cfg = section(scope);
  return {
    imagesPerPrompt: num(cfg, 'batch.imagesPerPrompt', 4, 1, 64),
    rewrite: oneOf(cfg, 'batch.rewrite', BATCH_REWRITE_MODES, 'off'),
  };
}

/** True when a configuration change touches `key` (full id, e.g. `sprightLens.inlayHints.enabled`). */
export function affects(e: vscode.ConfigurationChangeEvent, ...keys: string[]): boolean {
  return keys.some((k) => e.affectsConfiguration(k));
}
