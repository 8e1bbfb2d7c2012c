import * as vscode from 'vscode';
import { promptRange } from '../../convert';
import type { PromptDocuments } from '../../promptDocuments';
import type { Command } from '../../util/commandManager';
import type { Rewriter } from '../rewriter';
import { resolveTarget } from './target';

/** `sprightLens.rewritePrompt(uri?, line?)`: rewrites one prompt line in place, one undoable edit. */
export class RewritePromptCommand implements Command {
  readonly id = 'sprightLens.rewritePrompt';
  readonly #docs: PromptDocuments;
  readonly #rewriter: Rewriter;

  constructor(docs: PromptDocuments, rewriter: Rewriter) {
    this.#docs = docs;
    this.#rewriter = rewriter;
  }

  async execute(uri?: unknown, line?: unknown): Promise<boolean> {
    const target = await resolveTarget(uri, line);
    if (!target) return false;
    const { document } = target;
    const entry = this.#docs.lineAt(document, target.line);
    if (!entry) {
      void vscode.window.showInformationMessage(`SPRIGHT Lens: line ${target.line + 1} holds no prompt (blank, comment, or not a prompt file).`);
      return false;
    }
    const version = document.version;
    const outcome = await this.#rewriter.rewrite(entry, document);
    if (outcome.fallbackReason) void vscode.window.showWarningMessage(`SPRIGHT Lens: LLM rewrite not used (${outcome.fallbackReason}); used the built-in rewrite instead.`);
    // The LLM path is asynchronous: do not apply a rewrite computed for text that has since changed.
    if (document.version !== version) {
      void vscode.window.showWarningMessage('SPRIGHT Lens: the prompt changed while it was being rewritten; run the rewrite again.');
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, promptRange(entry), outcome.text);
    return vscode.workspace.applyEdit(edit);
  }
}
