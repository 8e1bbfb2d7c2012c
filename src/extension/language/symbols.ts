// Document outline: one symbol per prompt, its objects and scene elements as children.
import * as vscode from 'vscode';
import { promptRange, spanToRange } from '../convert';
import { PROMPT_SELECTOR, type PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';
import { promptSymbol } from './format';

export class DocumentSymbolFeature extends Disposable implements vscode.DocumentSymbolProvider {
  readonly #docs: PromptDocuments;

  constructor(docs: PromptDocuments) {
    super();
    this.#docs = docs;
    this._register(vscode.languages.registerDocumentSymbolProvider(PROMPT_SELECTOR, this, { label: 'Prompts' }));
  }

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    return this.#docs.get(doc).map((entry) => {
      const s = promptSymbol(entry.parsed);
      const range = promptRange(entry);
      const symbol = new vscode.DocumentSymbol(s.name, s.detail, vscode.SymbolKind.String, range, range);
      symbol.children = s.children.map((c) => {
        const r = spanToRange(entry.line, entry.offset, c.span);
        return new vscode.DocumentSymbol(c.name, c.detail, c.kind === 'scene' ? vscode.SymbolKind.Property : vscode.SymbolKind.Object, r, r);
      });
      return symbol;
    });
  }
}
