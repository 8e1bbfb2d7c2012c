// Publishes the parser's diagnostics (contradiction / vague / unknown-relation) per document.
import * as vscode from 'vscode';
import type { Config } from '../config';
import { toDiagnostic } from '../convert';
import type { PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';

export class DiagnosticsFeature extends Disposable {
  readonly #docs: PromptDocuments;
  readonly #config: Config;
  readonly #collection = this._register(vscode.languages.createDiagnosticCollection('sprightLens'));

  constructor(docs: PromptDocuments, config: Config) {
    super();
    this.#docs = docs;
    this.#config = config;
    docs.onDidAnalyze((d) => this.#publish(d), this, this._disposables);
    docs.onDidForget((uri) => this.#collection.delete(uri), this, this._disposables);
    config.onDidChange('diagnostics')(() => vscode.workspace.textDocuments.forEach((d) => this.#publish(d)), this, this._disposables);
    vscode.workspace.textDocuments.forEach((d) => this.#publish(d));
  }

  #publish(doc: vscode.TextDocument): void {
    if (!this.#docs.isPromptDocument(doc) || !this.#config.diagnosticsEnabled(doc)) {
      this.#collection.delete(doc.uri);
      return;
    }
    const diagnostics = this.#docs.get(doc).flatMap((entry) => entry.parsed.diagnostics.map((d) => toDiagnostic(doc.uri, entry, d)));
    this.#collection.set(doc.uri, diagnostics);
  }
}
