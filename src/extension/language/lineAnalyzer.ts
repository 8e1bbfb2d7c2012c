// Incremental document analysis keyed by line text: an edit re-parses only the lines whose text
// changed, so a keystroke in a 10,000-line file costs one parse. Used until the parser's own
// DocumentAnalyzer is available; it follows the same contract (one prompt per non-blank line,
// lines starting with # are comments, spans relative to the trimmed prompt text).
import type { ParsedPrompt } from '../../parser/types';
import type { AnalyzedLine, IncrementalAnalyzer } from './types';

export class LineCachedAnalyzer implements IncrementalAnalyzer {
  readonly #parse: (text: string) => ParsedPrompt;
  #cache = new Map<string, ParsedPrompt>();

  constructor(parse: (text: string) => ParsedPrompt) {
    this.#parse = parse;
  }

  update(text: string): AnalyzedLine[] {
    const next = new Map<string, ParsedPrompt>();
    const out: AnalyzedLine[] = [];
    const lines = text.split(/\r\n|\n|\r/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!;
      const prompt = raw.trim();
      if (prompt.length === 0 || prompt.startsWith('#')) continue;
      // Identical prompt lines share one record; the record holds no line number.
      let parsed = next.get(prompt) ?? this.#cache.get(prompt);
      if (parsed === undefined) parsed = this.#parse(prompt);
      next.set(prompt, parsed);
      out.push({ line: i, offset: raw.length - raw.trimStart().length, parsed });
    }
    // Keep only lines still present, so memory follows the document, not its edit history.
    this.#cache = next;
    return out;
  }
}
