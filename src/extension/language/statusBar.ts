// `N prompts · M relations · K problems` for the active prompt file; a click opens Problems.
import * as vscode from 'vscode';
import type { PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';
import { statusText, summarize } from './format';

export class StatusBarFeature extends Disposable {
  readonly #docs: PromptDocuments;
  readonly #item = this._register(vscode.window.createStatusBarItem('sprightLens.summary', vscode.StatusBarAlignment.Right, 100));

  constructor(docs: PromptDocuments) {
    super();
    this.#docs = docs;
    this.#item.name = 'SPRIGHT Lens summary';
    this.#item.command = 'workbench.actions.view.problems';
    this.#item.tooltip = 'SPRIGHT Lens: prompts, spatial relations and problems in this file. Click to open the Problems view.';
    vscode.window.onDidChangeActiveTextEditor(() => this.#update(), this, this._disposables);
    docs.onDidAnalyze((doc) => doc === vscode.window.activeTextEditor?.document && this.#update(), this, this._disposables);
    docs.onDidForget(() => this.#update(), this, this._disposables);
    this.#update();
  }

  #update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !this.#docs.isPromptDocument(doc)) {
      this.#item.hide();
      return;
    }
    this.#item.text = `$(symbol-ruler) ${statusText(summarize(this.#docs.get(doc)))}`;
    this.#item.show();
  }
}
