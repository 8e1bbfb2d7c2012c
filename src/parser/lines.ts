/** Prompt documents: one prompt a line, and an incremental analyser for editors. */
import { parsePrompt } from './parse';
import type { ParsedPrompt } from './types';

/** One prompt of a document. */
export interface PromptLine {
  /** 0-based line number in the document. */
  line: number;
  /** The prompt, without leading/trailing white space and without a trailing comment. */
  text: string;
  /** Character offset of `text` in the document (UTF-16 code units). */
  offset: number;
}

/** A prompt line with its analysis. */
export interface AnalyzedLine {
  line: number;
  offset: number;
  /** Shared between identical lines and across updates: treat as read-only. */
  parsed: ParsedPrompt;
}

// A trailing comment starts at " #" followed by white space or the line end, so that hashtags
// ("#sunset") and "#1" inside a prompt stay part of it.
const TRAILING_COMMENT = /\s#(?=\s|$)/;

/**
 * Splits a prompt document into prompts: one per non-empty line; lines whose first non-blank
 * character is `#` are comments; a trailing ` # comment` (white space, `#`, white space) is cut.
 * Accepts \n, \r\n and \r line ends.
 */
export function splitPromptLines(text: string): PromptLine[] {
  const out: PromptLine[] = [];
  let line = 0;
  let start = 0;
  const n = text.length;
  while (start <= n) {
    let end = start;
    while (end < n && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    let body = raw.slice(lead);
    if (body.length > 0 && !body.startsWith('#')) {
      const c = TRAILING_COMMENT.exec(body);
      if (c) body = body.slice(0, c.index);
      body = body.trimEnd();
      if (body.length > 0) out.push({ line, text: body, offset: start + lead });
    }
    if (end >= n) break;
    start = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
    line++;
  }
  return out;
}

/**
 * Incremental analysis of a prompt document: `update` re-parses only the lines whose text is not
 * in the cache of the previous call, so a one-line edit in a large file costs one parse plus a
 * linear scan of the text.
 */
export class DocumentAnalyzer {
  #cache = new Map<string, ParsedPrompt>();
  #parsedLastUpdate = 0;

  /** Analyses the whole document, reusing earlier results for unchanged prompt texts. */
  update(text: string): AnalyzedLine[] {
    const next = new Map<string, ParsedPrompt>();
    let parsedCount = 0;
    const result = splitPromptLines(text).map((l) => {
      let parsed = next.get(l.text) ?? this.#cache.get(l.text);
      if (parsed === undefined) {
        parsed = parsePrompt(l.text);
        parsedCount++;
      }
      next.set(l.text, parsed);
      return { line: l.line, offset: l.offset, parsed };
    });
    this.#cache = next;
    this.#parsedLastUpdate = parsedCount;
    return result;
  }

  /** How many prompts the last `update` actually parsed (the rest came from the cache). */
  get parsedLastUpdate(): number {
    return this.#parsedLastUpdate;
  }

  /** Forgets every cached result. */
  clear(): void {
    this.#cache.clear();
  }
}
