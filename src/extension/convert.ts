// The one place where core data (line numbers, character spans, parser records) becomes vscode
// types (house style 4). Everything here is a pure mapping; no state.
import * as vscode from 'vscode';
import { nounsOf, relationLabel, type AnalyzedLine, type DiagnosticSeverity, type PromptDiagnostic, type PromptRelation, type Span } from '../parser';

/** Diagnostics' `source`, shown in the Problems view. */
export const DIAGNOSTIC_SOURCE = 'SPRIGHT Lens';

/** A span of a prompt on `line`, whose text starts at character `offset` of that line. */
export function spanToRange(line: number, offset: number, span: Span): vscode.Range {
  return new vscode.Range(line, offset + span[0], line, offset + span[1]);
}

/** The range of a whole prompt (its text, without leading whitespace). */
export function promptRange(entry: AnalyzedLine): vscode.Range {
  return spanToRange(entry.line, entry.offset, [0, entry.parsed.text.length]);
}

/** A line-relative range back to a span of the prompt text (clamped to the prompt). */
export function rangeToSpan(entry: AnalyzedLine, range: vscode.Range): Span {
  const len = entry.parsed.text.length;
  const clamp = (n: number): number => Math.min(len, Math.max(0, n));
  const start = range.start.line < entry.line ? 0 : clamp(range.start.character - entry.offset);
  const end = range.end.line > entry.line ? len : clamp(range.end.character - entry.offset);
  return [start, Math.max(start, end)];
}

export function toSeverity(s: DiagnosticSeverity): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'information':
      return vscode.DiagnosticSeverity.Information;
  }
}

/**
 * A parser diagnostic as a vscode Diagnostic: `code` is the stable diagnostic code, and for a
 * contradiction the related information points at each clashing relation phrase.
 */
export function toDiagnostic(uri: vscode.Uri, entry: AnalyzedLine, d: PromptDiagnostic): vscode.Diagnostic {
  const diag = new vscode.Diagnostic(spanToRange(entry.line, entry.offset, d.span), d.message, toSeverity(d.severity));
  diag.source = DIAGNOSTIC_SOURCE;
  diag.code = d.code;
  const related = (d.relations ?? [])
    .map((i) => entry.parsed.relations[i])
    .filter((r): r is PromptRelation => r !== undefined)
    .map(
      (r) =>
        new vscode.DiagnosticRelatedInformation(
          new vscode.Location(uri, spanToRange(entry.line, entry.offset, r.span)),
          `"${r.phrase}": ${relationLabel(r, 'call', nounsOf(entry.parsed))}`,
        ),
    );
  if (related.length > 0) diag.relatedInformation = related;
  return diag;
}
