// Assembles the PromptEngine the language features use from the pure core. The only file of the
// language features that imports the parser and generator implementations.
import { rewritePrompt } from '../../generator/rewrite';
import { parsePrompt } from '../../parser/parse';
import { LineCachedAnalyzer } from './lineAnalyzer';
import type { PromptEngine } from './types';

export function createPromptEngine(): PromptEngine {
  return {
    createAnalyzer: () => new LineCachedAnalyzer(parsePrompt),
    parse: (text) => parsePrompt(text),
    rewrite: (parsed, options) => {
      const r = rewritePrompt(parsed, options);
      return { text: r.text, notes: r.notes };
    },
    // The generator's LLM rewriter (createLlmRewriter) has not landed yet; say so instead of
    // pretending, and the deterministic rewrite is used.
    llmRewrite: () => Promise.resolve({ ok: false, reason: 'this build has no LLM rewriter yet' }),
  };
}
