// The extension's one view of its settings (house style 9, 10): typed getters read at the time of
// use and per resource, with defaults and clamping applied on read, and one
// onDidChangeConfiguration listener that fires a change event per section. Nothing else in the
// extension calls `getConfiguration`. To add a setting, see CONTRIBUTING.md.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { DEFAULT_COMFY_SERVER, MAX_BEST_OF, MEMORY_MODES, PROVIDER_REQUESTS, RENDER_BACKENDS, SCHEDULER_NAMES, type MemoryMode, type ProviderRequest, type RenderBackendName, type SchedulerName } from '../protocol/service';
import type { ModelSetupView, RuleName } from '../protocol/messages';
import { Disposable } from './util/dispose';

/** The configuration section every key lives under. */
export const SECTION = 'sprightLens';

/**
 * What a listener can subscribe to. `models` covers the keys whose change means a loaded model or
 * detector must be reloaded; `promptFiles` the keys that decide which documents are prompts.
 */
export type ConfigSection = 'diagnostics' | 'inlayHints' | 'decorations' | 'codeLens' | 'promptFiles' | 'rewrite' | 'layout' | 'render' | 'models' | 'detect' | 'evaluate' | 'batch';

const SECTION_KEYS: Readonly<Record<ConfigSection, readonly string[]>> = {
  diagnostics: ['diagnostics'],
  inlayHints: ['inlayHints'],
  decorations: ['decorations'],
  codeLens: ['codeLens'],
  promptFiles: ['enableForTxt'],
  rewrite: ['rewrite'],
  layout: ['layout'],
  render: ['render'],
  // Memory mode and threads shape the loaded pipeline: a change frees the old one at once.
  models: ['render.modelPath', 'render.provider', 'render.deviceId', 'render.memory', 'render.threads', 'render.backend', 'render.comfyui', 'detect.detector', 'detect.owlvitPath'],
  detect: ['detect'],
  evaluate: ['evaluate'],
  batch: ['batch'],
};

export const REWRITE_TARGETS = ['inPlace', 'siblingFile'] as const;
export type RewriteTarget = (typeof REWRITE_TARGETS)[number];
export const DETECTORS = ['embedded', 'owlvit'] as const;
export const EVALUATION_RULES: readonly RuleName[] = ['visor', 't2i-compbench', 'geneval'];
export const BATCH_REWRITE_MODES = ['off', 'only', 'both'] as const;
export const RENDER_GUIDES = ['off', 'layout'] as const;

/** Options for the rewrite commands, as plain data. */
export interface RewriteSettings {
  target: RewriteTarget;
  seed: number;
  llm: { enabled: boolean; url: string; model: string };
}

/** Render options as plain data; `modelPath` honours workspace trust (global value only when untrusted). */
export interface RenderSettings {
  /** `comfyui` renders through the user's ComfyUI server (off in untrusted workspaces, see `checkModel`). */
  backend: RenderBackendName;
  /**
   * The ComfyUI server and checkpoint. `server` honours workspace trust like `modelPath`;
   * `allowRemote` is read from the user's settings only, so no workspace can send prompts off
   * the machine.
   */
  comfyui: { server: string; checkpoint: string; allowRemote: boolean };
  modelPath: string;
  provider: ProviderRequest;
  deviceId: number;
  /** What the inference service keeps loaded between renders. */
  memory: MemoryMode;
  /** CPU provider threads; 0 means the physical cores. */
  threads: number;
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
  /** -1 means a fresh random seed per render. */
  seed: number;
  negativePrompt: string;
  outputFolder: string;
  useRewrite: boolean;
  /** Best-of-N candidates (1: a plain render) and whether to stop at the first that satisfies every relation. */
  bestOf: number;
  untilSatisfied: boolean;
  /** `layout`: Render preview uses region guidance from the layout the panel shows. */
  guide: (typeof RENDER_GUIDES)[number];
}

/** Detector options; `owlvitPath` honours workspace trust. */
export interface DetectSettings {
  detector: (typeof DETECTORS)[number];
  owlvitPath: string;
}

export interface BatchSettings {
  imagesPerPrompt: number;
  rewrite: (typeof BATCH_REWRITE_MODES)[number];
  /** Redis URL of a render queue; empty: render in VS Code. Trusted like a path (it decides where prompts go). */
  queue: string;
}

type Cfg = vscode.WorkspaceConfiguration;

function bool(cfg: Cfg, key: string, fallback: boolean): boolean {
  const v = cfg.get<unknown>(key);
  return typeof v === 'boolean' ? v : fallback;
}

function num(cfg: Cfg, key: string, fallback: number, min: number, max: number, integer = true): number {
  const v = cfg.get<unknown>(key);
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  const n = integer ? Math.round(v) : v;
  return Math.min(max, Math.max(min, n));
}

function str(cfg: Cfg, key: string, fallback: string): string {
  const v = cfg.get<unknown>(key);
  return typeof v === 'string' ? v : fallback;
}

function oneOf<T extends string>(cfg: Cfg, key: string, allowed: readonly T[], fallback: T): T {
  const v = cfg.get<unknown>(key);
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

/**
 * The trust rule for path-like settings, with trust passed in: trusted sees the effective value
 * (workspace folder > workspace > user), untrusted only the user's, so a cloned repository cannot
 * make us load its files. Exported so the integration suite can run it against real configuration.
 */
export function pathSettingForTrust(cfg: Cfg, key: string, trusted: boolean): string {
  if (trusted) return str(cfg, key, '');
  const g = cfg.inspect<unknown>(key)?.globalValue;
  return typeof g === 'string' ? g : '';
}

/**
 * Whether a workspace settings file (.vscode/settings.json of a folder, or the .code-workspace
 * `settings`) sets `key` to a non-empty string. In restricted mode VS Code hides restricted
 * settings from `inspect()` entirely, so this is the only way to tell the user that their
 * workspace's value was ignored.
 */
function workspaceSettingsSet(key: string): boolean {
  const files: Array<{ file: string; nested: boolean }> = (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => ({ file: path.join(f.uri.fsPath, '.vscode', 'settings.json'), nested: false }));
  const ws = vscode.workspace.workspaceFile;
  if (ws?.scheme === 'file') files.push({ file: ws.fsPath, nested: true });
  return files.some(({ file, nested }) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // Missing or unreadable file: nothing set there.
      return false;
    }
    // jsonc-parser is VS Code's own reader: comments and trailing commas as VS Code accepts them.
    const json = parseJsonc(text, [], { allowTrailingComma: true }) as Record<string, unknown> | undefined;
    const settings = (nested ? json?.settings : json) as Record<string, unknown> | undefined;
    const v = settings?.[key];
    return typeof v === 'string' && v.trim().length > 0;
  });
}

export class Config extends Disposable {
  readonly #globalStorage: vscode.Uri;
  readonly #emitters = new Map<ConfigSection, vscode.EventEmitter<void>>();

  /** `globalStorage` is where renders go when there is no workspace. */
  constructor(globalStorage: vscode.Uri) {
    super();
    this.#globalStorage = globalStorage;
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        for (const [section, emitter] of this.#emitters) {
          if (SECTION_KEYS[section].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) emitter.fire();
        }
      }),
    );
  }

  /** Fires when a setting of `section` changes (in any scope; read the new value at the time of use). */
  onDidChange(section: ConfigSection): vscode.Event<void> {
    let emitter = this.#emitters.get(section);
    if (!emitter) {
      emitter = this._register(new vscode.EventEmitter<void>());
      this.#emitters.set(section, emitter);
    }
    return emitter.event;
  }

  #get(scope?: vscode.ConfigurationScope): Cfg {
    return vscode.workspace.getConfiguration(SECTION, scope);
  }

  #trustedPath(cfg: Cfg, key: string): string {
    return pathSettingForTrust(cfg, key, vscode.workspace.isTrusted);
  }

  // ---- language features ---------------------------------------------------------------------

  diagnosticsEnabled(scope?: vscode.ConfigurationScope): boolean {
    return bool(this.#get(scope), 'diagnostics.enabled', true);
  }

  /** Delay after the last keystroke before re-analysing, clamped to 0..5000 ms. */
  diagnosticsDebounceMs(scope?: vscode.ConfigurationScope): number {
    return num(this.#get(scope), 'diagnostics.debounceMs', 250, 0, 5000);
  }

  inlayHintsEnabled(scope?: vscode.ConfigurationScope): boolean {
    return bool(this.#get(scope), 'inlayHints.enabled', true);
  }

  decorationsEnabled(scope?: vscode.ConfigurationScope): boolean {
    return bool(this.#get(scope), 'decorations.enabled', true);
  }

  codeLensEnabled(scope?: vscode.ConfigurationScope): boolean {
    return bool(this.#get(scope), 'codeLens.enabled', true);
  }

  enableForTxt(scope?: vscode.ConfigurationScope): boolean {
    return bool(this.#get(scope), 'enableForTxt', false);
  }

  rewrite(scope?: vscode.ConfigurationScope): RewriteSettings {
    const cfg = this.#get(scope);
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

  /** The settings level that decides `key` now (folder, workspace, else user), for toggles to write to. */
  #decidingTarget(cfg: Cfg, key: string): vscode.ConfigurationTarget {
    const info = cfg.inspect<unknown>(key);
    if (info?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
    if (info?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
    return vscode.ConfigurationTarget.Global;
  }

  /** Flips `inlayHints.enabled` at the level that currently decides it, so the toggle always takes effect. */
  async toggleInlayHints(scope?: vscode.ConfigurationScope): Promise<boolean> {
    const cfg = this.#get(scope);
    const next = !this.inlayHintsEnabled(scope);
    await cfg.update('inlayHints.enabled', next, this.#decidingTarget(cfg, 'inlayHints.enabled'));
    return next;
  }

  // ---- layout, render, detection, evaluation, batch (preview panel) ----------------------------

  /** Canvas size for the layout planner, clamped to 64..4096 px. */
  layoutSize(scope?: vscode.ConfigurationScope): { width: number; height: number } {
    const cfg = this.#get(scope);
    return { width: num(cfg, 'layout.width', 768, 64, 4096), height: num(cfg, 'layout.height', 768, 64, 4096) };
  }

  render(scope?: vscode.ConfigurationScope): RenderSettings {
    const cfg = this.#get(scope);
    // Stable Diffusion latents are 1/8 of the image, so sizes snap to multiples of 8.
    const snap8 = (n: number): number => Math.max(64, Math.round(n / 8) * 8);
    const allowRemote = cfg.inspect<unknown>('render.comfyui.allowRemoteServer')?.globalValue === true;
    return {
      backend: oneOf(cfg, 'render.backend', RENDER_BACKENDS, 'onnx'),
      comfyui: {
        server: this.#trustedPath(cfg, 'render.comfyui.server').trim() || DEFAULT_COMFY_SERVER,
        checkpoint: str(cfg, 'render.comfyui.checkpoint', '').trim(),
        allowRemote,
      },
      modelPath: this.#trustedPath(cfg, 'render.modelPath'),
      provider: oneOf(cfg, 'render.provider', PROVIDER_REQUESTS, 'auto'),
      deviceId: num(cfg, 'render.deviceId', 0, 0, 64),
      memory: oneOf(cfg, 'render.memory', MEMORY_MODES, 'speed'),
      threads: num(cfg, 'render.threads', 0, 0, 256),
      steps: num(cfg, 'render.steps', 25, 1, 200),
      guidance: num(cfg, 'render.guidance', 7.5, 0, 30, false),
      scheduler: oneOf(cfg, 'render.scheduler', SCHEDULER_NAMES, 'dpmpp_2m'),
      width: snap8(num(cfg, 'render.width', 768, 64, 2048)),
      height: snap8(num(cfg, 'render.height', 768, 64, 2048)),
      seed: num(cfg, 'render.seed', -1, -1, 2 ** 31 - 1),
      negativePrompt: str(cfg, 'render.negativePrompt', ''),
      outputFolder: str(cfg, 'render.outputFolder', '').trim(),
      useRewrite: bool(cfg, 'render.useRewrite', false),
      bestOf: num(cfg, 'render.bestOf', 1, 1, MAX_BEST_OF),
      untilSatisfied: bool(cfg, 'render.untilSatisfied', false),
      guide: oneOf(cfg, 'render.guide', RENDER_GUIDES, 'off'),
    };
  }

  /**
   * Sets `render.guide` (the panel's Region guidance checkbox) at the level that currently decides
   * it for `scope`, so that the checkbox always takes effect.
   */
  async setRenderGuide(guide: (typeof RENDER_GUIDES)[number], scope?: vscode.ConfigurationScope): Promise<void> {
    const cfg = this.#get(scope);
    await cfg.update('render.guide', guide, this.#decidingTarget(cfg, 'render.guide'));
  }

  /** The folder renders go to: the setting, else `spright-renders` in the workspace, else global storage. */
  renderOutputFolder(scope: vscode.Uri | undefined): vscode.Uri {
    const configured = this.render(scope).outputFolder;
    const ws = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
    if (configured.length > 0) {
      if (path.isAbsolute(configured)) return vscode.Uri.file(configured);
      if (ws) return vscode.Uri.joinPath(ws.uri, configured);
    }
    if (ws && ws.uri.scheme === 'file') return vscode.Uri.joinPath(ws.uri, 'spright-renders');
    return vscode.Uri.joinPath(this.#globalStorage, 'spright-renders');
  }

  /** Model setup as the panel shows it (configured? ignored because untrusted?); `problem` is the caller's. */
  modelSetup(scope?: vscode.ConfigurationScope): ModelSetupView {
    const modelPath = this.render(scope).modelPath;
    const inspected = this.#get(scope).inspect<string>('render.modelPath');
    const workspaceValue = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
    const untrusted = !vscode.workspace.isTrusted;
    return {
      configured: modelPath.trim().length > 0,
      modelPath,
      problem: null,
      ignoredUntrusted: untrusted && ((typeof workspaceValue === 'string' && workspaceValue.length > 0) || workspaceSettingsSet(`${SECTION}.render.modelPath`)),
    };
  }

  /** Renders through ComfyUI with `checkpoint` from now on (user settings: the backend is restricted in untrusted workspaces). */
  async useComfyCheckpoint(checkpoint: string): Promise<void> {
    await this.#get().update('render.comfyui.checkpoint', checkpoint, vscode.ConfigurationTarget.Global);
    await this.#get().update('render.backend', 'comfyui', vscode.ConfigurationTarget.Global);
  }

  /** Whether the workspace is trusted (rendering through ComfyUI needs it). */
  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Points `render.modelPath` at `folder` in the user's settings (a workspace value is ignored when untrusted). */
  async setModelPath(folder: string): Promise<void> {
    await this.#get().update('render.modelPath', folder, vscode.ConfigurationTarget.Global);
  }

  detect(scope?: vscode.ConfigurationScope): DetectSettings {
    const cfg = this.#get(scope);
    return { detector: oneOf(cfg, 'detect.detector', DETECTORS, 'embedded'), owlvitPath: this.#trustedPath(cfg, 'detect.owlvitPath') };
  }

  evaluationRule(scope?: vscode.ConfigurationScope): RuleName {
    return oneOf(this.#get(scope), 'evaluate.rule', EVALUATION_RULES, 'visor');
  }

  batch(scope?: vscode.ConfigurationScope): BatchSettings {
    const cfg = this.#get(scope);
    return {
      imagesPerPrompt: num(cfg, 'batch.imagesPerPrompt', 4, 1, 64),
      rewrite: oneOf(cfg, 'batch.rewrite', BATCH_REWRITE_MODES, 'off'),
      queue: this.#trustedPath(cfg, 'batch.queue').trim(),
    };
  }
}
