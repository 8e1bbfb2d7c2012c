/**
 * Content words: what a rewrite must keep. Nouns, verbs, adjectives, adverbs, numerals and
 * negations, compared by lemma (compromise's root form, so "seats" keeps "seat" and "sitting"
 * keeps "sit"), plus quoted text, compared verbatim. Auxiliaries, determiners, prepositions and
 * pronouns carry no content of their own and may change.
 *
 * This runs compromise's full tagger (about a millisecond a prompt), so it checks rewrites (tests,
 * the local-LLM gate), not the deterministic rewriter's hot path, which keeps the person's words by
 * construction.
 */
import nlp from 'compromise';

/** One content word or quotation of a text. */
export interface ContentWord {
  kind: 'noun' | 'verb' | 'adjective' | 'adverb' | 'number' | 'negation' | 'quote';
  /** As written (a quotation with its quote marks). */
  text: string;
  /** Lower-case root form; the quotation itself for `quote`. */
  lemma: string;
}

interface Term {
  text: string;
  normal: string;
  root?: string;
  tags: Set<string>;
  offset?: { start: number; length: number };
}

// Double quotes of any style, and single quotes that are not apostrophes ("saying 'plz conserve'").
const QUOTE_RE = /"[^"\n]+"|“[^”\n]+”|(?<![\p{L}\p{N}])['‘][^'‘’\n]+['’](?![\p{L}\p{N}])/gu;
const FUNCTION_TAGS = ['Copula', 'Auxiliary', 'Modal', 'Pronoun', 'Determiner', 'Preposition', 'Conjunction', 'QuestionWord'];

function terms(text: string): Term[] {
  const doc = nlp(text) as unknown as { compute(what: string): void; termList(): Term[] };
  doc.compute('root');
  doc.compute('offset');
  return doc.termList();
}

function kindOf(t: Term): ContentWord['kind'] | null {
  const has = (tag: string): boolean => t.tags.has(tag);
  if (has('Negative')) return 'negation';
  if (FUNCTION_TAGS.some(has)) return null;
  if (has('Value')) return 'number';
  if (has('Noun')) return 'noun';
  if (has('Verb')) return 'verb';
  if (has('Adjective')) return 'adjective';
  if (has('Adverb')) return 'adverb';
  return null;
}

const lemmaOf = (t: Term): string => (t.root ?? t.normal).toLowerCase().replace(/['’]s$/, '');

/** The content words and quotations of `text`, in order. */
export function contentWords(text: string): ContentWord[] {
  const quotes = [...text.matchAll(QUOTE_RE)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
  const out: Array<ContentWord & { at: number }> = quotes.map((q) => ({ kind: 'quote', text: q.text, lemma: q.text, at: q.start }));
  for (const t of terms(text)) {
    const at = t.offset?.start ?? -1;
    if (quotes.some((q) => at >= q.start && at < q.end)) continue;
    const kind = kindOf(t);
    const lemma = lemmaOf(t);
    if (kind && /[\p{L}\p{N}]/u.test(lemma)) out.push({ kind, text: t.text, lemma, at });
  }
  return out.sort((a, b) => a.at - b.at).map(({ at: _at, ...w }) => w);
}

/**
 * The content words of `original` that `rewrite` lacks. A word counts as kept when the rewrite
 * has a word with its lemma or its written form, whatever the tagger calls it there ("painting"
 * the noun and "painting" read as a verb are the same word); a quotation must appear verbatim.
 */
export function missingContent(original: string, rewrite: string): ContentWord[] {
  const have = new Set<string>();
  for (const t of terms(rewrite)) {
    have.add(lemmaOf(t));
    have.add(t.normal.toLowerCase());
  }
  return contentWords(original).filter((w) => {
    if (w.kind === 'quote') return !rewrite.includes(w.text);
    return !have.has(w.lemma) && !have.has(w.text.toLowerCase());
  });
}
