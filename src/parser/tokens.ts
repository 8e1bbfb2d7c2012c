/**
 * Tokens of a prompt: words, punctuation and quoted text. Quoted text ("a sign saying 'hello'")
 * is one token, so that its words are never read as objects or relations.
 */
import type { Span } from './types';

export interface Token {
  /** Lower case, typographic apostrophes made plain. */
  lower: string;
  start: number;
  end: number;
  /** One of . , ; : ! ? */
  punct: boolean;
  /** Quoted text, quotes included. */
  quote: boolean;
  /** Written with a capital letter where a sentence does not start: part of a name. */
  cap: boolean;
}

// Words (with inner hyphens and a trailing n't), the possessive or contracted 's, punctuation.
// The n't form comes first: a greedy word would take its "n" ("isn", "t") and leave the rest.
const TOKEN_RE = /[\p{L}\p{M}\p{N}]+(?:-[\p{L}\p{M}\p{N}]+)*n['’]t(?![\p{L}\p{N}])|[\p{L}\p{M}\p{N}]+(?:-[\p{L}\p{M}\p{N}]+)*|['’]s(?![\p{L}\p{N}])|[.,;:!?]/gu;
const OPENERS: Readonly<Record<string, string>> = { '"': '"”', '“': '”"', '‘': '’\'', "'": '\'’', '«': '»' };
// A quotation longer than this is not one; the bound also keeps the search linear.
const MAX_QUOTE = 200;

/** Spans of quoted text, quotes included: "...", “...”, '...', ‘...’, «...». */
export function findQuotes(text: string): Span[] {
  const out: Span[] = [];
  for (let i = 0; i < text.length; i++) {
    const closers = OPENERS[text[i]];
    if (closers === undefined) continue;
    const single = text[i] === "'" || text[i] === '‘';
    // An apostrophe inside or after a word ("it's", "dogs'") opens nothing.
    if (single && i > 0 && /[\p{L}\p{N}]/u.test(text[i - 1])) continue;
    if (i + 1 >= text.length || /\s/.test(text[i + 1])) continue;
    const limit = Math.min(text.length, i + 1 + MAX_QUOTE);
    for (let j = i + 1; j < limit; j++) {
      if (!closers.includes(text[j])) continue;
      // A closing single quote ends a word and is not followed by a letter ("'plz conserve'").
      if (single && (j + 1 < text.length && /[\p{L}\p{N}]/u.test(text[j + 1]))) continue;
      if (/\s/.test(text[j - 1]) || j === i + 1) continue;
      out.push([i, j + 1]);
      i = j;
      break;
    }
  }
  return out;
}

/** Tokens of `text`, quoted text as single tokens. Linear in the text. */
export function tokenize(text: string): Token[] {
  const quotes = findQuotes(text);
  const tokens: Token[] = [];
  let q = 0;
  TOKEN_RE.lastIndex = 0;
  let sentenceStart = true;
  const push = (t: Token): void => {
    tokens.push(t);
  };
  for (let m = TOKEN_RE.exec(text); m !== null; m = TOKEN_RE.exec(text)) {
    while (q < quotes.length && quotes[q][1] <= m.index) {
      push({ lower: '"', start: quotes[q][0], end: quotes[q][1], punct: false, quote: true, cap: false });
      sentenceStart = false;
      q++;
    }
    if (q < quotes.length && m.index >= quotes[q][0] && m.index < quotes[q][1]) {
      TOKEN_RE.lastIndex = quotes[q][1];
      push({ lower: '"', start: quotes[q][0], end: quotes[q][1], punct: false, quote: true, cap: false });
      sentenceStart = false;
      q++;
      continue;
    }
    const raw = m[0];
    const punct = raw.length === 1 && /[.,;:!?]/.test(raw);
    const lower = raw.toLowerCase().replace(/’/g, "'");
    const cap = !punct && !sentenceStart && /^\p{Lu}/u.test(raw);
    push({ lower, start: m.index, end: m.index + raw.length, punct, quote: false, cap });
    if (punct) sentenceStart = raw !== ',';
    else sentenceStart = false;
  }
  for (; q < quotes.length; q++) push({ lower: '"', start: quotes[q][0], end: quotes[q][1], punct: false, quote: true, cap: false });
  // Title Case or ALL CAPS prompts say nothing about names.
  let words = 0;
  let caps = 0;
  for (const t of tokens) {
    if (t.punct || t.quote) continue;
    words++;
    if (/^\p{Lu}/u.test(text.slice(t.start, t.start + 1))) caps++;
  }
  if (words >= 4 && caps * 2 > words) for (const t of tokens) t.cap = false;
  return tokens;
}
