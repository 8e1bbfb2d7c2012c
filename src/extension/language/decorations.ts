// Underlines recognised objects and colours relation words in visible prompt editors, with
// theme colours contributed in package.json (sprightLens.objectForeground / relationForeground).
import * as vscode from 'vscode';
import type { Config } from '../config';
import { spanToRange } from '../convert';
import type { PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';

export class DecorationsFeature extends Disposable {
  readonly #docs: PromptDocuments;
  readonly #config: Config;
  readonly #objects = this._register(
    vscode.window.createTextEditorDecorationType({
      textDecoration: 'underline dotted',
      color: new vscode.ThemeColor('sprightLens.objectForeground'),
    }),
  );
  readonly #relations = this._register(
    vscode.window.createTextEditorDecorationType({
      color: new vscode.ThemeColor('sprightLens.relationForeground'),
      fontWeight: 'bold',
    }),
  );

  constructor(docs: PromptDocuments, config: Config) {
    super();
    this.#docs = docs;
    this.#config = config;
    docs.onDidAnalyze(
      (doc) => vscode.window.visibleTextEditors.filter((e) => e.document === doc).forEach((e) => this.#update(e)),
      this,
      this._disposables,
    );
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.#update(e)), this, this._disposables);
    const updateAll = (): void => vscode.window.visibleTextEditors.forEach((ed) => this.#update(ed));
    config.onDidChange('decorations')(updateAll, this, this._disposables);
    // A document that stops being a prompt document loses its decorations.
    docs.onDidForget(updateAll, this, this._disposables);
    vscode.window.visibleTextEditors.forEach((e) => this.#update(e));
  }

  #update(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const enabled = this.#docs.isPromptDocument(doc) && this.#config.decorationsEnabled(doc);
    const lines = enabled ? this.#docs.get(doc) : [];
    editor.setDecorations(
      this.#objects,
      lines.flatMap((l) => l.parsed.objects.map((o) => spanToRange(l.line, l.offset, o.span))),
    );
    editor.setDecorations(
      this.#relations,
      lines.flatMap((l) => l.parsed.relations.map((r) => spanToRange(l.line, l.offset, r.span))),
    );
  }
}
