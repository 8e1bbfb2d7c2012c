import * as vscode from 'vscode';
import { rewriteDocumentText } from '../../../parser';
import type { Config } from '../../config';
import type { PromptDocuments } from '../../promptDocuments';
import type { Command } from '../../util/commandManager';
import { siblingRewritePath } from '../format';
import type { Rewriter } from '../rewriter';
import { resolveTarget } from './target';

/**
 * `sprightLens.rewriteAll(uri?)`: rewrites every prompt of a file, as one undoable edit or into a
 * sibling `<name>.spright.prompts` file (setting `sprightLens.rewrite.target`).
 */
export class RewriteAllCommand implements Command {
  readonly id = 'sprightLens.rewriteAll';
  readonly #docs: PromptDocuments;
  readonly #rewriter: Rewriter;
  readonly #config: Config;

  constructor(docs: PromptDocuments, rewriter: Rewriter, config: Config) {
    this.#docs = docs;
    this.#rewriter = rewriter;
    this.#config = config;
  }

  async execute(uri?: unknown): Promise<boolean> {
    const target = await resolveTarget(uri, 0);
    if (!target) return false;
    const { document } = target;
    if (!this.#docs.isPromptDocument(document)) {
      void vscode.window.showInformationMessage('SPRIGHT Lens: this is not a prompt file (use the "Spatial Prompt" language mode, or enable sprightLens.enableForTxt for .txt files).');
      return false;
    }
    const lines = this.#docs.get(document);
    const version = document.version;
    const fallbacks: string[] = [];
    const rewrites = new Map<number, string>();
    const completed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'SPRIGHT Lens: rewriting prompts', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          for (const [i, entry] of lines.entries()) {
            if (token.isCancellationRequested) return false;
            const outcome = await this.#rewriter.rewrite(entry, document, abort.signal);
            if (outcome.fallbackReason) fallbacks.push(`line ${entry.line + 1}: ${outcome.fallbackReason}`);
            rewrites.set(entry.line, outcome.text);
            progress.report({ increment: 100 / Math.max(1, lines.length), message: `${i + 1}/${lines.length}` });
          }
          return true;
        } finally {
          sub.dispose();
        }
      },
    );
    if (!completed) return false;
    if (fallbacks.length > 0) {
      const shown = fallbacks.slice(0, 3).join('; ') + (fallbacks.length > 3 ? `; and ${fallbacks.length - 3} more` : '');
      void vscode.window.showWarningMessage(`SPRIGHT Lens: the LLM rewrite was not used for ${fallbacks.length} prompt(s), the built-in rewrite was: ${shown}`);
    }
    if (document.version !== version) {
      void vscode.window.showWarningMessage('SPRIGHT Lens: the file changed while it was being rewritten; run the rewrite again.');
      return false;
    }
    const text = rewriteDocumentText(document.getText(), lines, (e) => rewrites.get(e.line));
    if (this.#config.rewrite(document).target === 'siblingFile') {
      const sibling = document.uri.with({ path: siblingRewritePath(document.uri.path) });
      await vscode.workspace.fs.writeFile(sibling, Buffer.from(text, 'utf8'));
      await vscode.window.showTextDocument(sibling, { preview: false });
      return true;
    }
    const edit = new vscode.WorkspaceEdit();
    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    edit.replace(document.uri, whole, text);
    return vscode.workspace.applyEdit(edit);
  }
}
