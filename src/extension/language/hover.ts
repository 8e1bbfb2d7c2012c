// Hover on a prompt line: the objects (noun, count, attributes, placements, details), relations and scene the parser found.
import * as vscode from 'vscode';
import { promptRange } from '../convert';
import { PROMPT_SELECTOR, type PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';
import { hoverMarkdown } from './format';

export class HoverFeature extends Disposable implements vscode.HoverProvider {
  readonly #docs: PromptDocuments;

  constructor(docs: PromptDocuments) {
    super();
    this.#docs = docs;
    this._register(vscode.languages.registerHoverProvider(PROMPT_SELECTOR, this));
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const entry = this.#docs.lineAt(doc, position.line);
    if (!entry) return undefined;
    const range = promptRange(entry);
    if (!range.contains(position)) return undefined;
    // hoverMarkdown escapes all user text; no HTML and no command links are enabled.
    const md = new vscode.MarkdownString(hoverMarkdown(entry.parsed), false);
    md.supportHtml = false;
    md.isTrusted = false;
    return new vscode.Hover(md, range);
  }
}
