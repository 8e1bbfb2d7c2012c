// Chooses between the deterministic rewrite and the optional local-LLM one, per settings, and
// reports why an LLM rewrite was not used so the user is never silently downgraded.
import type * as vscode from 'vscode';
import { createLlmRewriter, rewritePrompt } from '../../generator';
import { toSingleLine, type AnalyzedLine, type ParsedPrompt } from '../../parser';
import type { Config } from '../config';

export interface RewriteOutcome {
  /** One-line rewrite text. */
  text: string;
  /** Set when the LLM was enabled but its rewrite was rejected or failed. */
  fallbackReason?: string;
}

/** Result of an optional LLM rewrite: the text, or why it was not used. */
export type LlmRewriteResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Asks a local OpenAI-compatible server for a rewrite; never throws. Bad settings (not a URL, no
 * model name) are reported like a rejected answer: the deterministic rewrite is then used and the
 * user is told why.
 */
export async function llmRewrite(parsed: ParsedPrompt, options: { url: string; model: string; signal?: AbortSignal }): Promise<LlmRewriteResult> {
  let rewriter;
  try {
    rewriter = createLlmRewriter({ url: options.url, model: options.model });
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const result = await rewriter.rewrite(parsed.text, parsed, options.signal);
  return result.ok ? result : { ok: false, reason: result.reason };
}

export class Rewriter {
  readonly #config: Config;

  constructor(config: Config) {
    this.#config = config;
  }

  async rewrite(entry: AnalyzedLine, scope: vscode.ConfigurationScope, signal?: AbortSignal): Promise<RewriteOutcome> {
    const settings = this.#config.rewrite(scope);
    const { width, height } = this.#config.layoutSize(scope);
    const fallback = (): string => toSingleLine(rewritePrompt(entry.parsed, { seed: settings.seed, width, height }).text);
    if (!settings.llm.enabled) return { text: fallback() };
    const result = await llmRewrite(entry.parsed, { url: settings.llm.url, model: settings.llm.model, signal });
    if (result.ok) return { text: toSingleLine(result.text) };
    return { text: fallback(), fallbackReason: result.reason };
  }
}
