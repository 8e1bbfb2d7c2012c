// `left_of(cat, dog)` after each relation phrase, so the writer sees how the parser read it.
import * as vscode from 'vscode';
import { nounsOf, relationLabel } from '../../parser';
import type { Config } from '../config';
import { PROMPT_SELECTOR, type PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';

export class InlayHintsFeature extends Disposable implements vscode.InlayHintsProvider {
  readonly #docs: PromptDocuments;
  readonly #config: Config;
  readonly #onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeInlayHints = this.#onDidChange.event;

  constructor(docs: PromptDocuments, config: Config) {
    super();
    this.#docs = docs;
    this.#config = config;
    this._register(vscode.languages.registerInlayHintsProvider(PROMPT_SELECTOR, this));
    // Hints are requested again on edits anyway; these cover a setting flip and debounced analysis.
    docs.onDidAnalyze(() => this.#onDidChange.fire(), this, this._disposables);
    config.onDidChange('inlayHints')(() => this.#onDidChange.fire(), this, this._disposables);
  }

  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    if (!this.#config.inlayHintsEnabled(doc)) return [];
    const hints: vscode.InlayHint[] = [];
    for (const entry of this.#docs.get(doc)) {
      if (entry.line < range.start.line || entry.line > range.end.line) continue;
      for (const r of entry.parsed.relations) {
        const hint = new vscode.InlayHint(new vscode.Position(entry.line, entry.offset + r.span[1]), relationLabel(r, 'call', nounsOf(entry.parsed)));
        hint.paddingLeft = true;
        hint.tooltip = `Parsed "${r.phrase}" as ${r.relation}`;
        hints.push(hint);
      }
    }
    return hints;
  }
}
