// The preview panel's controller: owns the panel state, follows the cursor from prompt to prompt,
// recomputes on settings changes, and routes webview messages to the features (render, check
// image, save, batch) that register handlers. The webview only draws what this sends.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FromWebview, ImageView, ModelSetupView, PanelState, PersistedWebviewState, PromptView, ToWebview, ViewOptions } from '../../protocol/messages';
import type { ParsedPrompt } from '../../parser/types';
import type { LayoutResult } from '../../generator/types';
import type { AnalyzedLine } from '../language/types';
import * as config from '../config';
import { spanToRange } from '../convert';
import { Disposable } from '../util/dispose';
import { PreviewPanel } from './previewPanel';
import { promptView } from './viewModel';
import { parsePersistedState } from './messageGuard';

/** What the panel needs from the language features and the layout planner. */
export interface PromptServices {
  /** The analysed prompts of an open document (empty when it is not a prompt document). */
  parsedLines(document: vscode.TextDocument): readonly AnalyzedLine[];
  planLayout(parsed: ParsedPrompt, options: { width: number; height: number; seed: number }): LayoutResult;
  /** The SPRIGHT-style rewrite, or null when the prompt cannot be rewritten. */
  rewrite(parsed: ParsedPrompt, options: { seed: number; width: number; height: number }): string | null;
}

/** The prompt the panel points at, with its analysis. */
export interface CurrentPrompt {
  uri: vscode.Uri;
  line: number;
  entry: AnalyzedLine;
  view: PromptView;
}

type Handler = (msg: FromWebview) => void | Promise<void>;

/** Whether VS Code treats the document as prompts (language id, or .txt when enabled). */
export function isPromptDocument(document: vscode.TextDocument): boolean {
  if (document.languageId === 'spatial-prompt') return true;
  return document.languageId === 'plaintext' && document.uri.path.endsWith('.txt') && config.enableForTxt(document.uri);
}

/** Model setup as the panel shows it (configured? usable? ignored because untrusted?). */
export function modelSetup(scope?: vscode.ConfigurationScope): ModelSetupView {
  const modelPath = config.renderSettings(scope).modelPath;
  const inspected = vscode.workspace.getConfiguration(config.SECTION, scope).inspect<string>('render.modelPath');
  const workspaceValue = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  const untrusted = !vscode.workspace.isTrusted;
  return {
    configured: modelPath.trim().length > 0,
    modelPath,
    problem: null,
    ignoredUntrusted: untrusted && ((typeof workspaceValue === 'string' && workspaceValue.length > 0) || workspaceSettingsSet('sprightLens.render.modelPath')),
  };
}

/**
 * Whether a workspace settings file (.vscode/settings.json of a folder, or the .code-workspace
 * `settings`) sets `key` to a non-empty string. In restricted mode VS Code hides restricted
 * settings from `inspect()` entirely (the integration suite's untrusted run showed it), so the
 * panel could not tell the user their workspace model path was ignored without reading the files.
 */
function workspaceSettingsSet(key: string): boolean {
  const files: Array<{ file: string; nested: boolean }> = (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => ({ file: path.join(f.uri.fsPath, '.vscode', 'settings.json'), nested: false }));
  const ws = vscode.workspace.workspaceFile;
  if (ws?.scheme === 'file') files.push({ file: ws.fsPath, nested: true });
  return files.some(({ file, nested }) => {
    try {
      const json = parseJsonc(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | undefined;
      const settings = (nested ? json?.settings : json) as Record<string, unknown> | undefined;
      const v = settings?.[key];
      return typeof v === 'string' && v.trim().length > 0;
    } catch {
      // Missing or unreadable file: nothing set there (VS Code reports broken settings itself).
      return false;
    }
  });
}

/** JSON with comments and trailing commas (VS Code settings files), parsed; strings are left intact. */
function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

export class PreviewController extends Disposable {
  readonly #extensionUri: vscode.Uri;
  readonly #services: PromptServices;
  readonly #outputFolders: () => vscode.Uri[];
  #panel: PreviewPanel | undefined;
  #current: CurrentPrompt | undefined;
  #view: ViewOptions = { showBoxes: true, showLabels: true };
  #image: ImageView | null = null;
  #notice: string | null = null;
  #state: Pick<PanelState, 'render' | 'batch'> = { render: null, batch: null };
  #setupProblem: string | null = null;
  /** Computes the batch page at `init` time (its image URIs need the live webview); see setBatchSource. */
  #batchSource: (() => PanelState['batch']) | undefined;
  /** The last image shown per prompt key, so moving back to a prompt shows its render. */
  readonly #imagesByPrompt = new Map<string, ImageView>();
  readonly #handlers = new Map<FromWebview['type'], Handler>();
  #followTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(extensionUri: vscode.Uri, services: PromptServices, outputFolders: () => vscode.Uri[]) {
    super();
    this.#extensionUri = extensionUri;
    this.#services = services;
    this.#outputFolders = outputFolders;
    vscode.window.onDidChangeTextEditorSelection((e) => this.#scheduleFollow(e.textEditor), this, this._disposables);
    vscode.window.onDidChangeActiveTextEditor((e) => e && this.#scheduleFollow(e), this, this._disposables);
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        // The analysis is debounced by the language features; read it after their delay.
        if (this.#current && e.document.uri.toString() === this.#current.uri.toString()) {
          const editor = vscode.window.visibleTextEditors.find((ed) => ed.document === e.document);
          if (editor) this.#scheduleFollow(editor, config.diagnosticsDebounceMs(e.document.uri) + 60);
        }
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (config.affects(e, 'sprightLens.evaluate.rule', 'sprightLens.layout', 'sprightLens.render.modelPath', 'sprightLens.rewrite.seed')) {
          this.#setupProblem = null;
          this.refresh();
        }
      }),
    );
    this._register({ dispose: () => clearTimeout(this.#followTimer) });
    this.on('ready', () => this.sendInit());
    this.on('toggle', (m) => {
      if (m.type !== 'toggle') return;
      this.#view = m.what === 'boxes' ? { ...this.#view, showBoxes: m.value } : { ...this.#view, showLabels: m.value };
    });
    this.on('selectRelation', (m) => (m.type === 'selectRelation' ? this.#revealRelation(m.promptKey, m.index) : undefined));
    this.on('openSettings', () => void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:spright-lens.spright-lens'));
  }

  /** Registers the handler of one webview message type (one per type). */
  on(type: FromWebview['type'], handler: Handler): void {
    this.#handlers.set(type, handler);
  }

  /**
   * Lets the batch feature build the batch page when `init` is sent: a panel opened after the
   * last `batchPage` then gets image URIs made for its own webview.
   */
  setBatchSource(source: () => PanelState['batch']): void {
    this.#batchSource = source;
  }

  get panel(): PreviewPanel | undefined {
    return this.#panel;
  }

  get current(): CurrentPrompt | undefined {
    return this.#current;
  }

  get viewOptions(): ViewOptions {
    return this.#view;
  }

  get image(): ImageView | null {
    return this.#image;
  }

  /** The full state as `init` sends it. */
  state(): PanelState {
    const setup = modelSetup(this.#current?.uri);
    return {
      rule: config.evaluationRule(this.#current?.uri),
      view: this.#view,
      prompt: this.#current?.view ?? null,
      image: this.#image,
      render: this.#state.render,
      setup: { ...setup, problem: this.#setupProblem },
      batch: this.#batchSource?.() ?? this.#state.batch,
      notice: this.#notice,
    };
  }

  /** Opens (or reveals) the panel and points it at `uri`/`line`, or at the active editor's cursor. */
  show(uri?: vscode.Uri, line?: number): void {
    this.#ensurePanel();
    if (uri !== undefined) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (doc) this.#pointAt(doc, line ?? 0);
    } else {
      const editor = vscode.window.activeTextEditor;
      if (editor && isPromptDocument(editor.document)) this.#pointAt(editor.document, editor.selection.active.line);
    }
    this.sendInit();
  }

  /** Adopts a panel restored after a reload, with the state the webview had saved. */
  revive(webviewPanel: vscode.WebviewPanel, persisted: unknown): void {
    this.#panel?.dispose();
    this.#attach(PreviewPanel.revive(webviewPanel, this.#extensionUri, this.#outputFolders()));
    const saved: PersistedWebviewState | undefined = parsePersistedState(persisted);
    if (saved === undefined) return;
    this.#view = saved.view;
    if (saved.promptUri !== null) {
      void vscode.workspace.openTextDocument(vscode.Uri.parse(saved.promptUri)).then(
        (doc) => {
          this.#pointAt(doc, saved.promptLine ?? 0);
          this.sendInit();
        },
        () => undefined,
      );
    }
  }

  /** Recomputes the current prompt (settings changed) and re-sends the full state. */
  refresh(): void {
    if (this.#current) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.#current?.uri.toString());
      if (doc) this.#pointAt(doc, this.#current.line);
    }
    this.sendInit();
  }

  sendInit(): void {
    this.#panel?.setOutputFolders(this.#outputFolders());
    this.#panel?.post({ type: 'init', state: this.state() });
  }

  /** Sends a message and mirrors it into the host's state, so a later `init` matches. */
  post(msg: ToWebview): void {
    switch (msg.type) {
      case 'renderProgress':
        this.#state.render = msg.render;
        break;
      case 'renderResult':
        this.#state.render = null;
        this.#setImage(msg.image);
        break;
      case 'renderError':
        this.#state.render = null;
        this.#notice = msg.cancelled ? 'Render cancelled.' : msg.message;
        if (msg.setup !== null) this.#setupProblem = msg.setup.problem;
        break;
      case 'showImage':
        this.#setImage(msg.image);
        break;
      case 'detections':
        if (this.#image?.key === msg.imageKey) this.#setImage({ ...this.#image, detection: msg.detection });
        break;
      case 'batchPage':
        this.#state.batch = msg.batch;
        break;
      case 'init':
      case 'update':
      case 'saveResult':
        break;
    }
    this.#panel?.post(msg);
  }

  #setImage(image: ImageView): void {
    this.#image = image;
    if (this.#current) this.#imagesByPrompt.set(this.#current.view.key, image);
  }

  #ensurePanel(): void {
    if (this.#panel) {
      this.#panel.reveal();
      return;
    }
    this.#attach(PreviewPanel.create(this.#extensionUri, this.#outputFolders()));
  }

  #attach(panel: PreviewPanel): void {
    this.#panel = panel;
    panel.onMessage((msg) => {
      const handler = this.#handlers.get(msg.type);
      if (!handler) return;
      Promise.resolve(handler(msg)).catch((err: unknown) => {
        void vscode.window.showErrorMessage(`SPRIGHT Lens: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    panel.onDidDispose(() => {
      if (this.#panel === panel) this.#panel = undefined;
    });
  }

  #scheduleFollow(editor: vscode.TextEditor, delay = 80): void {
    if (!this.#panel || !isPromptDocument(editor.document)) return;
    clearTimeout(this.#followTimer);
    this.#followTimer = setTimeout(() => {
      const before = this.#current?.view.key;
      const notice = this.#notice;
      this.#pointAt(editor.document, editor.selection.active.line);
      if (this.#current?.view.key !== before || this.#notice !== notice) {
        this.#panel?.post({ type: 'update', prompt: this.#current?.view ?? null, image: this.#image, notice: this.#notice });
      }
    }, delay);
  }

  #pointAt(document: vscode.TextDocument, line: number): void {
    const entries = this.#services.parsedLines(document);
    const entry = entries.find((e) => e.line === line);
    if (entry === undefined) {
      // Off a prompt line (blank, comment): keep showing the last prompt of this document.
      this.#notice = entries.length === 0 ? 'No prompts found in this document yet.' : this.#current ? null : 'Put the cursor on a prompt line.';
      return;
    }
    const uri = document.uri;
    const rule = config.evaluationRule(uri);
    const size = config.layoutSize(uri);
    const seed = config.rewriteSettings(uri).seed;
    const layout = this.#services.planLayout(entry.parsed, { ...size, seed });
    let rewrite: string | null = null;
    try {
      rewrite = this.#services.rewrite(entry.parsed, { seed, ...size });
    } catch (err) {
      rewrite = null;
      this.#notice = `Could not rewrite: ${err instanceof Error ? err.message : String(err)}`;
    }
    const view = promptView({ uri: uri.toString(), line, fileName: path.basename(uri.path), parsed: entry.parsed, layout, rewrite, rule });
    if (this.#current?.view.key !== view.key) {
      this.#image = this.#imagesByPrompt.get(view.key) ?? null;
      this.#notice = null;
    }
    this.#current = { uri, line, entry, view };
  }

  #revealRelation(promptKey: string, index: number): void {
    const cur = this.#current;
    if (!cur || cur.view.key !== promptKey) return;
    const rel = cur.entry.parsed.relations[index];
    if (!rel) return;
    const range = spanToRange(cur.entry.line, cur.entry.offset, rel.span);
    void vscode.window.showTextDocument(cur.uri, { selection: range, preserveFocus: false, viewColumn: vscode.ViewColumn.One });
  }
}
