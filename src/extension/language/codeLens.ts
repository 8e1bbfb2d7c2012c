// Rewrite / Preview layout / Render preview above each prompt.
import * as vscode from 'vscode';
import type { Config } from '../config';
import { promptRange } from '../convert';
import { PROMPT_SELECTOR, type PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';

export class CodeLensFeature extends Disposable implements vscode.CodeLensProvider {
  readonly #docs: PromptDocuments;
  readonly #config: Config;
  readonly #onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.#onDidChange.event;

  constructor(docs: PromptDocuments, config: Config) {
    super();
    this.#docs = docs;
    this.#config = config;
    this._register(vscode.languages.registerCodeLensProvider(PROMPT_SELECTOR, this));
    // A setting flip, or a document that starts or stops being a prompt document.
    config.onDidChange('codeLens')(() => this.#onDidChange.fire(), this, this._disposables);
    docs.onDidForget(() => this.#onDidChange.fire(), this, this._disposables);
    docs.onDidAnalyze(() => this.#onDidChange.fire(), this, this._disposables);
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.#config.codeLensEnabled(doc)) return [];
    return this.#docs.get(doc).flatMap((entry) => {
      const range = promptRange(entry);
      const args = [doc.uri, entry.line];
      return [
        new vscode.CodeLens(range, { title: 'Rewrite', command: 'sprightLens.rewritePrompt', arguments: args, tooltip: 'Rewrite this prompt as a SPRIGHT-style description' }),
        new vscode.CodeLens(range, { title: 'Preview layout', command: 'sprightLens.previewLayout', arguments: args, tooltip: 'Show the planned layout of this prompt' }),
        new vscode.CodeLens(range, { title: 'Render preview', command: 'sprightLens.renderPreview', arguments: args, tooltip: 'Render this prompt with the local model' }),
      ];
    });
  }
}
