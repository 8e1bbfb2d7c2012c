// Plain data shared by the language features and their pure helpers (no vscode import here, so
// the helpers can be unit-tested in Node).
import type { ParsedPrompt } from '../../parser/types';

/**
 * One analysed prompt of a document: the zero-based line number, the character offset of the
 * prompt text within that line (leading whitespace skipped), and the parser's record, whose spans
 * are relative to `parsed.text`.
 */
export interface AnalyzedLine {
  line: number;
  offset: number;
  parsed: ParsedPrompt;
}
