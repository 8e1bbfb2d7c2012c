// The one authority on prompt documents: which open documents are prompts (language mode, or
// .txt when enabled) and their analysis, one incremental analyzer per document re-run (debounced)
// as the user types, so every feature (diagnostics, hints, decorations, the preview panel) shares
// one parse. Offsets are line-relative, as the parser's DocumentAnalyzer returns them.
import * as vscode from 'vscode';
import { DocumentAnalyzer, type AnalyzedLine } from '../parser';
import type { Config } from './config';
import { Disposable, toDisposable } from './util/dispose';

/** Documents the language features apply to; plain-text ones are filtered by `isPromptDocument`. */
export const PROMPT_SELECTOR: vscode.DocumentSelector = [
  { language: 'spatial-prompt' },
  { language: 'plaintext', pattern: '**/*.txt' },
];

interface Entry {
  analyzer: DocumentAnalyzer;
  lines: AnalyzedLine[];
  version: number;
}

export class PromptDocuments extends Disposable {
  readonly #config: Config;
  readonly #entries = new Map<string, Entry>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #onDidAnalyze = this._register(new vscode.EventEmitter<vscode.TextDocument>());
  readonly #onDidForget = this._register(new vscode.EventEmitter<vscode.Uri>());

  /** Fires after a document's analysis changed (debounced while typing). */
  readonly onDidAnalyze = this.#onDidAnalyze.event;
  /** Fires when a document stops being analysed (closed, or no longer a prompt document). */
  readonly onDidForget = this.#onDidForget.event;

  constructor(config: Config) {
    super();
    this.#config = config;
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
    config.onDidChange('promptFiles')(() => vscode.workspace.textDocuments.forEach((d) => this.#refresh(d)), this, this._disposables);
    vscode.workspace.textDocuments.forEach((d) => this.#refresh(d));
  }

  /** Whether the language features apply to `doc`. */
  isPromptDocument(doc: vscode.TextDocument): boolean {
    if (doc.languageId === 'spatial-prompt') return true;
    return doc.languageId === 'plaintext' && /\.txt$/i.test(doc.uri.path) && this.#config.enableForTxt(doc);
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
      }, this.#config.diagnosticsDebounceMs(doc)),
    );
  }

  #analyze(doc: vscode.TextDocument): AnalyzedLine[] {
    const key = doc.uri.toString();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { analyzer: new DocumentAnalyzer(), lines: [], version: -1 };
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
