// Assembles the PromptEngine the language features use from the pure core. The only file of the
// language features that imports the parser and generator implementations.
import { createLlmRewriter, rewritePrompt } from '../../generator';
import { DocumentAnalyzer, parsePrompt } from '../../parser';
import type { AnalyzedLine, PromptEngine } from './types';

/** Start offset of each line of `text` (\n, \r\n and \r line ends, as the parser splits them). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    if (c === 10 || c === 13) starts.push(i + 1);
  }
  return starts;
}

export function createPromptEngine(): PromptEngine {
  return {
    createAnalyzer: () => {
      // The parser re-parses only changed prompt lines; its offsets are document offsets, the
      // features want them relative to the line.
      const analyzer = new DocumentAnalyzer();
      return {
        update(text: string): AnalyzedLine[] {
          const starts = lineStarts(text);
          return analyzer.update(text).map((l) => ({ line: l.line, offset: l.offset - (starts[l.line] ?? 0), parsed: l.parsed }));
        },
      };
    },
    parse: (text) => parsePrompt(text),
    rewrite: (parsed, options) => {
      const r = rewritePrompt(parsed, options);
      return { text: r.text, notes: r.notes };
    },
    llmRewrite: async (parsed, options) => {
      // Bad settings (not a URL, no model name) are reported like a rejected answer: the
      // deterministic rewrite is used and the user is told why.
      let rewriter;
      try {
        rewriter = createLlmRewriter({ url: options.url, model: options.model });
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
      const result = await rewriter.rewrite(parsed.text, parsed, options.signal);
      return result.ok ? result : { ok: false, reason: result.reason };
    },
  };
}
