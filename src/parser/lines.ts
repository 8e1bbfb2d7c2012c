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

/**
 * One analysed prompt of a document: its 0-based line, the character offset of the prompt text
 * within that line (leading white space skipped; an editor position is `(line, offset + span[0])`),
 * and the parser's record, whose spans are relative to `parsed.text`.
 */
export interface AnalyzedLine {
  line: number;
  /** Offset within the line (UTF-16 code units), not within the document. */
  offset: number;
  /** Shared between identical lines and across updates: treat as read-only. */
  parsed: ParsedPrompt;
}

// A trailing comment starts at " #" followed by white space or the line end, so that hashtags
// ("#sunset") and "#1" inside a prompt stay part of it.
const TRAILING_COMMENT = /\s#(?=\s|$)/;

/** The prompt on one raw line (no line end), as [leading white space length, text], or null. */
function promptOfLine(raw: string): [lead: number, text: string] | null {
  const lead = raw.length - raw.trimStart().length;
  let body = raw.slice(lead);
  if (body.length === 0 || body.startsWith('#')) return null;
  const c = TRAILING_COMMENT.exec(body);
  if (c) body = body.slice(0, c.index);
  body = body.trimEnd();
  return body.length > 0 ? [lead, body] : null;
}

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
    const p = promptOfLine(text.slice(start, end));
    if (p) out.push({ line, text: p[1], offset: start + p[0] });
    if (end >= n) break;
    start = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
    line++;
  }
  return out;
}

/**
 * Incremental analysis of a prompt document: `update` re-parses only the lines whose text is not
 * in the cache of the previous call, so a one-line edit in a large file costs one parse plus a
 * linear scan of the text. Offsets are line-relative, as editors address text.
 */
export class DocumentAnalyzer {
  // Raw lines of the previous update and what they held, by line index: an unchanged line costs
  // one string comparison. Results by prompt text cover moved and duplicated lines.
  #rawLines: string[] = [];
  #prompts: Array<{ lead: number; text: string; parsed: ParsedPrompt } | null> = [];
  #byText = new Map<string, ParsedPrompt>();
  #parsedLastUpdate = 0;

  /** Analyses the whole document, reusing earlier results for unchanged prompt texts. */
  update(text: string): AnalyzedLine[] {
    // Lone CR line ends are rare; the general splitter handles them at a little more cost.
    const raws = text.includes('\r') ? splitRaw(text) : text.split('\n');
    const prompts: Array<{ lead: number; text: string; parsed: ParsedPrompt } | null> = new Array(raws.length);
    const result: AnalyzedLine[] = [];
    let parsedCount = 0;
    for (let i = 0; i < raws.length; i++) {
      const raw = raws[i];
      let entry: { lead: number; text: string; parsed: ParsedPrompt } | null;
      if (this.#rawLines[i] === raw) {
        entry = this.#prompts[i];
      } else {
        const p = promptOfLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
        if (p === null) entry = null;
        else {
          let parsed = this.#byText.get(p[1]);
          if (parsed === undefined) {
            parsed = parsePrompt(p[1]);
            parsedCount++;
            this.#byText.set(p[1], parsed);
          }
          entry = { lead: p[0], text: p[1], parsed };
        }
      }
      prompts[i] = entry;
    }
    for (let i = 0; i < raws.length; i++) {
      const entry = prompts[i];
      if (entry) result.push({ line: i, offset: entry.lead, parsed: entry.parsed });
    }
    this.#rawLines = raws;
    this.#prompts = prompts;
    // Keep the text cache from growing without bound while editing: rebuild it from live lines.
    if (this.#byText.size > 2 * raws.length + 1024) {
      this.#byText = new Map();
      for (const e of prompts) if (e) this.#byText.set(e.text, e.parsed);
    }
    this.#parsedLastUpdate = parsedCount;
    return result;
  }

  /** How many prompts the last `update` actually parsed (the rest came from the cache). */
  get parsedLastUpdate(): number {
    return this.#parsedLastUpdate;
  }

  /** Forgets every cached result. */
  clear(): void {
    this.#rawLines = [];
    this.#prompts = [];
    this.#byText.clear();
  }
}

/** Splits on \n, \r\n and \r; CRLF lines keep their \r (as `split('\n')` does), which `update` drops. */
function splitRaw(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      out.push(text.slice(start, i));
      start = i + 1;
    } else if (c === 13 && text.charCodeAt(i + 1) !== 10) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
