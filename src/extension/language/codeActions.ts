// Quick fixes: rewrite a vague prompt SPRIGHT-style, or drop one relation of a contradicting set;
// plus "Rewrite" as a refactoring on any prompt line.
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, rangeToSpan } from '../convert';
import { nounsOf, relationLabel } from '../../parser';
import { PROMPT_SELECTOR, type PromptDocuments } from '../promptDocuments';
import { Disposable } from '../util/dispose';

export const REWRITE_TITLE = 'Rewrite as a SPRIGHT-style description';

export class CodeActionsFeature extends Disposable implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite];
  readonly #docs: PromptDocuments;

  constructor(docs: PromptDocuments) {
    super();
    this.#docs = docs;
    this._register(vscode.languages.registerCodeActionsProvider(PROMPT_SELECTOR, this, { providedCodeActionKinds: CodeActionsFeature.kinds }));
  }

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const entry = this.#docs.lineAt(doc, range.start.line);
    if (!entry) return [];
    const actions: vscode.CodeAction[] = [];
    const rewriteCommand: vscode.Command = { command: 'sprightLens.rewritePrompt', title: REWRITE_TITLE, arguments: [doc.uri, entry.line] };
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);

    const vague = ours.filter((d) => d.code === 'vague');
    if (vague.length > 0) {
      const fix = new vscode.CodeAction(REWRITE_TITLE, vscode.CodeActionKind.QuickFix);
      fix.command = rewriteCommand;
      fix.diagnostics = vague;
      fix.isPreferred = true;
      actions.push(fix);
    }

    for (const diag of ours.filter((d) => d.code === 'contradiction')) {
      // Find the parser diagnostic behind this vscode one to get the clashing relation indices.
      const span = rangeToSpan(entry, diag.range);
      const source = entry.parsed.diagnostics.find((d) => d.code === 'contradiction' && d.span[0] === span[0] && d.span[1] === span[1]);
      for (const i of source?.relations ?? []) {
        const r = entry.parsed.relations[i];
        if (!r) continue;
        const fix = new vscode.CodeAction(`Remove the conflicting relation: "${r.phrase}" (${relationLabel(r, 'call', nounsOf(entry.parsed))})`, vscode.CodeActionKind.QuickFix);
        fix.command = { command: 'sprightLens.removeRelation', title: fix.title, arguments: [doc.uri, entry.line, [...r.span]] };
        fix.diagnostics = [diag];
        actions.push(fix);
      }
    }

    if (vague.length === 0 && (!context.only || context.only.contains(vscode.CodeActionKind.RefactorRewrite) || vscode.CodeActionKind.RefactorRewrite.contains(context.only))) {
      const refactor = new vscode.CodeAction(REWRITE_TITLE, vscode.CodeActionKind.RefactorRewrite);
      refactor.command = rewriteCommand;
      actions.push(refactor);
    }
    return actions;
  }
}
