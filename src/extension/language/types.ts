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

/** Incremental analysis of one document (the parser's DocumentAnalyzer satisfies it). */
export interface IncrementalAnalyzer {
  /** Analyses `text`, re-parsing only lines that changed since the last call. */
  update(text: string): AnalyzedLine[];
}

/** Result of an optional LLM rewrite: the text, or why it was rejected. */
export type LlmRewriteResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * The core capabilities the editor features use, given to them by activate() (house style 3), so
 * the features hold no direct dependency on how the core is assembled.
 */
export interface PromptEngine {
  createAnalyzer(): IncrementalAnalyzer;
  parse(text: string): ParsedPrompt;
  /** The deterministic SPRIGHT-style rewrite (may span several sentences). */
  rewrite(parsed: ParsedPrompt, options: { seed: number; width: number; height: number }): { text: string; notes: string[] };
  /** Asks a local OpenAI-compatible server; never throws, reports the reason instead. */
  llmRewrite(parsed: ParsedPrompt, options: { url: string; model: string; seed: number; signal?: AbortSignal }): Promise<LlmRewriteResult>;
}
