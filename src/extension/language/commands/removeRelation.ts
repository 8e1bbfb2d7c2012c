import * as vscode from 'vscode';
import { removeRelation } from '../../../parser';
import { spanToRange } from '../../convert';
import type { PromptDocuments } from '../../promptDocuments';
import type { Command } from '../../util/commandManager';
import { resolveTarget } from './target';

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
export class RemoveRelationCommand implements Command {
  readonly id = 'sprightLens.removeRelation';
  readonly #docs: PromptDocuments;

  constructor(docs: PromptDocuments) {
    this.#docs = docs;
  }

  async execute(uri?: unknown, line?: unknown, span?: unknown): Promise<boolean> {
    const target = await resolveTarget(uri, line);
    const want = asSpan(span);
    if (!target || !want) {
      if (target) void vscode.window.showErrorMessage('SPRIGHT Lens: removeRelation needs the relation span [start, end].');
      return false;
    }
    const entry = this.#docs.lineAt(target.document, target.line);
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
}
