// Publishes the parser's diagnostics (contradiction / vague / unknown-relation) per document.
import * as vscode from 'vscode';
import * as config from '../config';
import { toDiagnostic } from '../convert';
import { Disposable } from '../util/dispose';
import type { PromptDocuments } from './promptDocuments';

export class DiagnosticsFeature extends Disposable {
  readonly #docs: PromptDocuments;
  readonly #collection = this._register(vscode.languages.createDiagnosticCollection('sprightLens'));

  constructor(docs: PromptDocuments) {
    super();
    this.#docs = docs;
    docs.onDidAnalyze((d) => this.#publish(d), this, this._disposables);
    docs.onDidForget((uri) => this.#collection.delete(uri), this, this._disposables);
    vscode.workspace.onDidChangeConfiguration(
      (e) => {
        if (e.affectsConfiguration('sprightLens.diagnostics.enabled')) vscode.workspace.textDocuments.forEach((d) => this.#publish(d));
      },
      this,
      this._disposables,
    );
    vscode.workspace.textDocuments.forEach((d) => this.#publish(d));
  }

  #publish(doc: vscode.TextDocument): void {
    if (!this.#docs.isPromptDocument(doc) || !config.diagnosticsEnabled(doc)) {
      this.#collection.delete(doc.uri);
      return;
    }
    const diagnostics = this.#docs.get(doc).flatMap((entry) => entry.parsed.diagnostics.map((d) => toDiagnostic(doc.uri, entry, d)));
    this.#collection.set(doc.uri, diagnostics);
  }
}
