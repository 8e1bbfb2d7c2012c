// The analysis behind every language feature: one incremental analyzer per open prompt document,
// re-run (debounced) as the user types, so diagnostics, hints and decorations share one parse.
import * as vscode from 'vscode';
import * as config from '../config';
import { Disposable, toDisposable } from '../util/dispose';
import type { AnalyzedLine, IncrementalAnalyzer, PromptEngine } from './types';

/** Documents the language features apply to; plain-text ones are filtered by `isPromptDocument`. */
export const PROMPT_SELECTOR: vscode.DocumentSelector = [
  { language: 'spatial-prompt' },
  { language: 'plaintext', pattern: '**/*.txt' },
];

interface Entry {
  analyzer: IncrementalAnalyzer;
  lines: AnalyzedLine[];
  version: number;
}

export class PromptDocuments extends Disposable {
  readonly #engine: PromptEngine;
  readonly #entries = new Map<string, Entry>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #onDidAnalyze = this._register(new vscode.EventEmitter<vscode.TextDocument>());
  readonly #onDidForget = this._register(new vscode.EventEmitter<vscode.Uri>());

  /** Fires after a document's analysis changed (debounced while typing). */
  readonly onDidAnalyze = this.#onDidAnalyze.event;
  /** Fires when a document stops being analysed (closed, or no longer a prompt document). */
  readonly onDidForget = this.#onDidForget.event;

  constructor(engine: PromptEngine) {
    super();
    this.#engine = engine;
    this._register(toDisposable(() => this.#timers.forEach((t) => clearTimeout(t))));
    vscode.workspace.onDidOpenTextDocument((d) => this.#refresh(d), this, this._disposables);
    vscode.workspace.onDidChangeTextDocument(
      (e) => {
        if (e.contentChanges.length > 0) this.#schedule(e.document);
      },
      this,
      this._disposables,
    );
    vscode.workspace.onDidCloseTextDocument((d) => this.#forget(d.uri), this, this._disposables);
    vscode.workspace.onDidChangeConfiguration(
      (e) => {
        if (e.affectsConfiguration('sprightLens.enableForTxt')) vscode.workspace.textDocuments.forEach((d) => this.#refresh(d));
      },
      this,
      this._disposables,
    );
    vscode.workspace.textDocuments.forEach((d) => this.#refresh(d));
  }

  /** Whether the language features apply to `doc`. */
  isPromptDocument(doc: vscode.TextDocument): boolean {
    if (doc.languageId === 'spatial-prompt') return true;
    return doc.languageId === 'plaintext' && /\.txt$/i.test(doc.uri.path) && config.enableForTxt(doc);
  }

  /** The analysis of `doc` as it is now (analysing at once if an edit is still debounced). */
  get(doc: vscode.TextDocument): AnalyzedLine[] {
    if (!this.isPromptDocument(doc)) return [];
    const key = doc.uri.toString();
    const entry = this.#entries.get(key);
    if (entry && entry.version === doc.version) return entry.lines;
    return this.#analyze(doc);
  }

  /** The prompt on zero-based `line` of `doc`, if that line holds one. */
  lineAt(doc: vscode.TextDocument, line: number): AnalyzedLine | undefined {
    return this.get(doc).find((l) => l.line === line);
  }

  /** The last analysis of a document by URI string, without re-analysing (for the test API). */
  peek(uri: string): AnalyzedLine[] {
    return this.#entries.get(uri)?.lines ?? [];
  }

  #refresh(doc: vscode.TextDocument): void {
    if (this.isPromptDocument(doc)) this.#analyze(doc);
    else this.#forget(doc.uri);
  }

  #schedule(doc: vscode.TextDocument): void {
    if (!this.isPromptDocument(doc)) return;
    const key = doc.uri.toString();
    const pending = this.#timers.get(key);
    if (pending !== undefined) clearTimeout(pending);
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        // The document may have closed while the timer waited.
        if (!this.isDisposed && !doc.isClosed) this.#analyze(doc);
      }, config.diagnosticsDebounceMs(doc)),
    );
  }

  #analyze(doc: vscode.TextDocument): AnalyzedLine[] {
    const key = doc.uri.toString();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { analyzer: this.#engine.createAnalyzer(), lines: [], version: -1 };
      this.#entries.set(key, entry);
    }
    if (entry.version !== doc.version) {
      entry.lines = entry.analyzer.update(doc.getText());
      entry.version = doc.version;
      this.#onDidAnalyze.fire(doc);
    }
    return entry.lines;
  }

  #forget(uri: vscode.Uri): void {
    const key = uri.toString();
    const pending = this.#timers.get(key);
    if (pending !== undefined) clearTimeout(pending);
    this.#timers.delete(key);
    if (this.#entries.delete(key)) this.#onDidForget.fire(uri);
  }
}
