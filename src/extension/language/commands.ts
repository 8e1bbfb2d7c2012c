// The language commands, one table (registered by activate() through the CommandManager): each
// entry names the command and adapts the arguments VS Code passes (CodeLens, quick fixes, the
// palette, tests) to one function below.
import * as vscode from 'vscode';
import { removeRelation, rewriteDocumentText } from '../../parser';
import type { Config } from '../config';
import { promptRange, spanToRange } from '../convert';
import type { PromptDocuments } from '../promptDocuments';
import type { Command } from '../util/commandManager';
import { siblingRewritePath } from './format';
import type { Rewriter } from './rewriter';
import { resolveTarget } from './target';

export function languageCommands(docs: PromptDocuments, rewriter: Rewriter, config: Config): Command[] {
  return [
    { id: 'sprightLens.rewritePrompt', execute: (uri, line) => rewritePromptAt(docs, rewriter, uri, line) },
    { id: 'sprightLens.rewriteAll', execute: (uri) => rewriteAll(docs, rewriter, config, uri) },
    { id: 'sprightLens.removeRelation', execute: (uri, line, span) => removeRelationAt(docs, uri, line, span) },
    { id: 'sprightLens.toggleInlayHints', execute: () => config.toggleInlayHints(vscode.window.activeTextEditor?.document) },
  ];
}

/** `sprightLens.rewritePrompt(uri?, line?)`: rewrites one prompt line in place, one undoable edit. */
async function rewritePromptAt(docs: PromptDocuments, rewriter: Rewriter, uri: unknown, line: unknown): Promise<boolean> {
  const target = await resolveTarget(uri, line);
  if (!target) return false;
  const { document } = target;
  const entry = docs.lineAt(document, target.line);
  if (!entry) {
    void vscode.window.showInformationMessage(`SPRIGHT Lens: line ${target.line + 1} holds no prompt (blank, comment, or not a prompt file).`);
    return false;
  }
  const version = document.version;
  const outcome = await rewriter.rewrite(entry, document);
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

/**
 * `sprightLens.rewriteAll(uri?)`: rewrites every prompt of a file, as one undoable edit or into a
 * sibling `<name>.spright.prompts` file (setting `sprightLens.rewrite.target`).
 */
async function rewriteAll(docs: PromptDocuments, rewriter: Rewriter, config: Config, uri: unknown): Promise<boolean> {
  const target = await resolveTarget(uri, 0);
  if (!target) return false;
  const { document } = target;
  if (!docs.isPromptDocument(document)) {
    void vscode.window.showInformationMessage('SPRIGHT Lens: this is not a prompt file (use the "Spatial Prompt" language mode, or enable sprightLens.enableForTxt for .txt files).');
    return false;
  }
  const lines = docs.get(document);
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
          const outcome = await rewriter.rewrite(entry, document, abort.signal);
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
  if (config.rewrite(document).target === 'siblingFile') {
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

function asSpan(value: unknown): [number, number] | undefined {
  if (Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number')) return [value[0] as number, value[1] as number];
  if (value && typeof value === 'object' && 'start' in value && 'end' in value) {
    const { start, end } = value as { start: unknown; end: unknown };
    if (typeof start === 'number' && typeof end === 'number') return [start, end];
  }
  return undefined;
}

/**
 * `sprightLens.removeRelation(uri, line, span)` (internal, behind the contradiction quick fix):
 * drops the relation whose phrase has `span` (prompt-relative [start, end]) from that prompt.
 */
async function removeRelationAt(docs: PromptDocuments, uri: unknown, line: unknown, span: unknown): Promise<boolean> {
  const target = await resolveTarget(uri, line);
  const want = asSpan(span);
  if (!target || !want) {
    if (target) void vscode.window.showErrorMessage('SPRIGHT Lens: removeRelation needs the relation span [start, end].');
    return false;
  }
  const entry = docs.lineAt(target.document, target.line);
  const index = entry?.parsed.relations.findIndex((r) => r.span[0] === want[0] && r.span[1] === want[1]) ?? -1;
  if (!entry || index < 0) {
    void vscode.window.showWarningMessage('SPRIGHT Lens: that relation is no longer in the prompt.');
    return false;
  }
  const result = removeRelation(entry.parsed, index);
  if (!result) {
    void vscode.window.showWarningMessage(`SPRIGHT Lens: could not find a way to remove "${entry.parsed.relations[index]?.phrase}" that leaves a sensible prompt; edit it by hand.`);
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(target.document.uri, spanToRange(entry.line, entry.offset, result.edit.span), result.edit.newText);
  return vscode.workspace.applyEdit(edit);
}
