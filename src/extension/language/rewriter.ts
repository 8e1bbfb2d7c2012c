// Chooses between the deterministic rewrite and the optional local-LLM one, per settings, and
// reports why an LLM rewrite was not used so the user is never silently downgraded.
import type * as vscode from 'vscode';
import * as config from '../config';
import { toSingleLine } from './format';
import type { AnalyzedLine, PromptEngine } from './types';

export interface RewriteOutcome {
  /** One-line rewrite text. */
  text: string;
  /** Set when the LLM was enabled but its rewrite was rejected or failed. */
  fallbackReason?: string;
}

export class Rewriter {
  readonly #engine: PromptEngine;

  constructor(engine: PromptEngine) {
    this.#engine = engine;
  }

  async rewrite(entry: AnalyzedLine, scope: vscode.ConfigurationScope, signal?: AbortSignal): Promise<RewriteOutcome> {
    const settings = config.rewriteSettings(scope);
    const { width, height } = config.layoutSize(scope);
    const fallback = (): string => toSingleLine(this.#engine.rewrite(entry.parsed, { seed: settings.seed, width, height }).text);
    if (!settings.llm.enabled) return { text: fallback() };
    const result = await this.#engine.llmRewrite(entry.parsed, { url: settings.llm.url, model: settings.llm.model, seed: settings.seed, signal });
    if (result.ok) return { text: toSingleLine(result.text) };
    return { text: fallback(), fallbackReason: result.reason };
  }
}
