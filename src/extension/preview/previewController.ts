// The preview panel's controller: owns the panel state, follows the cursor from prompt to prompt,
// recomputes on settings changes, and routes webview messages to the features (render, check
// image, save, batch) that register handlers. The webview only draws what this sends.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EditLayoutMessage, FromWebview, ImageView, PanelState, PersistedWebviewState, ResetLayoutMessage, ToWebview, ViewOptions } from '../../protocol/messages';
import { layoutWithBoxes, rewritePrompt } from '../../generator';
import { editedBoxes } from '../../generator/layoutFile';
import { layoutRelations, layoutViewOf, promptView } from '../../view/panelView';
import { parsePersistedState } from '../../view/messageGuard';
import type { Config } from '../config';
import { spanToRange } from '../convert';
import type { CurrentPrompt, PanelHost, WebviewMessageHandler } from '../panelHost';
import type { PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';
import { LayoutFiles, saveProblem } from './layoutFiles';
import { PreviewPanel } from './previewPanel';

export class PreviewController extends Disposable implements PanelHost {
  readonly #extensionUri: vscode.Uri;
  readonly #docs: PromptDocuments;
  readonly #config: Config;
  readonly #outputFolders: () => vscode.Uri[];
  #panel: PreviewPanel | undefined;
  #current: CurrentPrompt | undefined;
  #view: ViewOptions = { showBoxes: true, showLabels: true };
  #image: ImageView | null = null;
  #notice: string | null = null;
  #state: Pick<PanelState, 'render' | 'batch'> & { candidates: PanelState['candidates'] } = { render: null, batch: null, candidates: null };
  #setupProblem: string | null = null;
  /** Computes the batch page at `init` time (its image URIs need the live webview); see setBatchSource. */
  #batchSource: (() => PanelState['batch']) | undefined;
  /** The last image shown per prompt key, so moving back to a prompt shows its render. */
  readonly #imagesByPrompt = new Map<string, ImageView>();
  readonly #handlers = new Map<FromWebview['type'], WebviewMessageHandler>();
  #followTimer: ReturnType<typeof setTimeout> | undefined;
  /** Saved layouts (`<prompt file>.layout.json`): what each prompt shows, and saving edits. */
  readonly #layouts = new LayoutFiles();

  constructor(extensionUri: vscode.Uri, docs: PromptDocuments, config: Config, outputFolders: () => vscode.Uri[]) {
    super();
    this.#extensionUri = extensionUri;
    this.#docs = docs;
    this.#config = config;
    this.#outputFolders = outputFolders;
    vscode.window.onDidChangeTextEditorSelection((e) => this.#scheduleFollow(e.textEditor), this, this._disposables);
    vscode.window.onDidChangeActiveTextEditor((e) => e && this.#scheduleFollow(e), this, this._disposables);
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        // The analysis is debounced by the language features; read it after their delay.
        if (this.#current && e.document.uri.toString() === this.#current.uri.toString()) {
          const editor = vscode.window.visibleTextEditors.find((ed) => ed.document === e.document);
          if (editor) this.#scheduleFollow(editor, this.#config.diagnosticsDebounceMs(e.document.uri) + 60);
        }
      }),
    );
    // What the panel shows depends on the rule, the layout canvas, the rewrite seed, the model and
    // the region guidance setting (its checkbox mirrors it).
    for (const section of ['evaluate', 'layout', 'rewrite', 'models', 'render'] as const) {
      config.onDidChange(section)(
        () => {
          this.#setupProblem = null;
          this.refresh();
        },
        this,
        this._disposables,
      );
    }
    this._register({ dispose: () => clearTimeout(this.#followTimer) });
    this.on('ready', () => this.sendInit());
    this.on('toggle', (m) => {
      if (m.type !== 'toggle') return;
      this.#view = m.what === 'boxes' ? { ...this.#view, showBoxes: m.value } : { ...this.#view, showLabels: m.value };
    });
    this.on('selectRelation', (m) => (m.type === 'selectRelation' ? this.#revealRelation(m.promptKey, m.index) : undefined));
    this.on('openSettings', () => void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:spright-lens.spright-lens'));
    this.on('editLayout', (m) => (m.type === 'editLayout' ? this.#editLayout(m) : undefined));
    this.on('resetLayout', (m) => (m.type === 'resetLayout' ? this.#resetLayout(m) : undefined));
  }

  /** Registers the handler of one webview message type (one per type). */
  on(type: FromWebview['type'], handler: WebviewMessageHandler): void {
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

  webviewUri(file: string): string | undefined {
    const panel = this.#panel;
    if (!panel) return undefined;
    // The resource roots must include the folder before the webview can load the file.
    panel.setOutputFolders(this.#outputFolders());
    return panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  get image(): ImageView | null {
    return this.#image;
  }

  /** The full state as `init` sends it. */
  state(): PanelState {
    const setup = this.#config.modelSetup(this.#current?.uri);
    return {
      rule: this.#config.evaluationRule(this.#current?.uri),
      view: this.#view,
      prompt: this.#current?.view ?? null,
      image: this.#image,
      render: this.#state.render,
      setup: { ...setup, problem: this.#setupProblem },
      batch: this.#batchSource?.() ?? this.#state.batch,
      notice: this.#notice,
      candidates: this.#state.candidates,
      regionGuide: this.#config.render(this.#current?.uri).guide === 'layout',
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
      if (editor && this.#docs.isPromptDocument(editor.document)) this.#pointAt(editor.document, editor.selection.active.line);
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
      case 'candidates':
        this.#state.candidates = msg.strip;
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
    if (!this.#panel || !this.#docs.isPromptDocument(editor.document)) return;
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
    const entries = this.#docs.get(document);
    const entry = entries.find((e) => e.line === line);
    if (entry === undefined) {
      // Off a prompt line (blank, comment): keep showing the last prompt of this document.
      this.#notice = entries.length === 0 ? 'No prompts found in this document yet.' : this.#current ? null : 'Put the cursor on a prompt line.';
      return;
    }
    const uri = document.uri;
    const rule = this.#config.evaluationRule(uri);
    const size = this.#config.layoutSize(uri);
    const seed = this.#config.rewrite(uri).seed;
    // The saved layout when the prompt has one (boxes as drawn), else the plan.
    const { result: layout, edit } = this.#layouts.resolve(uri, entry, entries, { ...size, seed });
    let rewrite: string | null = null;
    try {
      rewrite = rewritePrompt(entry.parsed, { seed, ...size }).text;
    } catch (err) {
      rewrite = null;
      this.#notice = `Could not rewrite: ${err instanceof Error ? err.message : String(err)}`;
    }
    const view = promptView({ uri: uri.toString(), line, fileName: path.basename(uri.path), parsed: entry.parsed, layout, rewrite, rule, layoutEdit: edit });
    if (this.#current?.view.key !== view.key) {
      this.#image = this.#imagesByPrompt.get(view.key) ?? null;
      this.#notice = null;
    }
    this.#current = { uri, line, entry, view };
  }

  /** The open document of `uri` and its prompts, or undefined when it was closed. */
  #document(uri: vscode.Uri): { document: vscode.TextDocument; entries: ReturnType<PromptDocuments['get']> } | undefined {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return document ? { document, entries: this.#docs.get(document) } : undefined;
  }

  /**
   * A layout edit from the panel: judged at once and answered; saved as well when it is `final`
   * (the end of a drag or of a key press). The webview draws the boxes as it moves them, so a
   * judgement arriving after the next move is still useful, and `seq` orders the answers.
   */
  async #editLayout(m: EditLayoutMessage): Promise<void> {
    const cur = this.#current;
    const shown = cur?.view.layout;
    if (!cur || cur.view.key !== m.promptKey || !shown || !cur.view.layoutEdit) return;
    // Boxes of another layout than the one shown (it changed since): drop the edit.
    const boxes = editedBoxes(shown.boxes, m.boxes, shown);
    if (boxes === null) return;
    const parsed = cur.entry.parsed;
    const layout = layoutWithBoxes(parsed, shown, boxes);
    let edit = cur.view.layoutEdit;
    if (m.final) {
      try {
        await this.#layouts.save(cur.uri, cur.entry, this.#document(cur.uri)?.entries ?? [cur.entry], layout);
        edit = { ...edit, source: 'edited', staleFor: null, problem: null };
      } catch (err) {
        edit = { ...edit, problem: saveProblem(err) };
      }
    }
    const view = { ...cur.view, layout: layoutViewOf(layout), relations: layoutRelations(parsed, layout.checks, this.#config.evaluationRule(cur.uri)), layoutEdit: edit };
    // Only a saved edit changes what the prompt shows; a judgement during a drag is the webview's.
    if (m.final && this.#current?.view.key === cur.view.key) this.#current = { ...this.#current, view };
    this.#panel?.post({ type: 'layoutUpdate', promptKey: m.promptKey, seq: m.seq, prompt: view });
  }

  /** Re-plan (a stale layout) or Reset (an edited one): forget the saved layout, show the plan. */
  async #resetLayout(m: ResetLayoutMessage): Promise<void> {
    const cur = this.#current;
    if (!cur || cur.view.key !== m.promptKey) return;
    const open = this.#document(cur.uri);
    let problem: string | null = null;
    try {
      await this.#layouts.remove(cur.uri, cur.entry, open?.entries ?? [cur.entry]);
    } catch (err) {
      problem = saveProblem(err);
    }
    if (open) this.#pointAt(open.document, cur.line);
    const now = this.#current;
    if (now?.view.key !== m.promptKey) return;
    const view = problem !== null && now.view.layoutEdit ? { ...now.view, layoutEdit: { ...now.view.layoutEdit, problem } } : now.view;
    this.#current = { ...now, view };
    this.#panel?.post({ type: 'layoutUpdate', promptKey: m.promptKey, seq: m.seq, prompt: view });
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
