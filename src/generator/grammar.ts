/**
 * Fast structural grammar checks for rewrites: "a"/"an" before the next word's sound, determiners
 * that agree with their noun ("a seat", "two seats"), subjects that agree with their verb
 * ("flowers appear"), no adjective or bare participle where a noun should be ("the white is"),
 * and no words said twice in a row ("in the background in the background").
 * They are the cheap half of the grammar gate (tools/grammar runs LanguageTool over the dev set);
 * the rewriter runs them on every sentence it adds, and tests run them on every rewrite.
 *
 * A person's own prompt may already break these rules; `newGrammarIssues` reports only what a
 * rewrite adds, so a rewrite that keeps "a apple" as written is not blamed for it.
 */
import { article, NUMBER_VALUES, wordClass } from './english';

/** Which check an issue comes from. */
export type GrammarRule = 'article' | 'determiner-number' | 'subject-verb' | 'noun-head' | 'repetition';

/** One structural grammar problem in a text. */
export interface GrammarIssue {
  rule: GrammarRule;
  /** What is wrong and what it should be. */
  message: string;
  /** The words concerned, as written. */
  words: string;
  /** Character offset of the first of them. */
  offset: number;
}

interface Token {
  text: string;
  lower: string;
  start: number;
  end: number;
  punct: boolean;
  quoted: boolean;
}

const TOKEN_RE = /[\p{L}\p{N}]+(?:[-'’][\p{L}\p{N}]+)*|[.,;:!?"“”()]/gu;
const SENTENCE_END = new Set(['.', '!', '?', ';']);
const SINGULAR_DETERMINERS = new Set(['a', 'an', 'one', 'another', 'each', 'every']);
const PLURAL_DETERMINERS = new Set(['several', 'many', 'few', 'both', 'these', 'those']);
const SUBJECT_DETERMINERS = new Set(['the', 'a', 'an', 'some', 'this', 'that', 'these', 'those', 'another', 'each', 'every']);
// "a few birds", "a couple of cats", "a dozen eggs": the article belongs to a quantity word.
const QUANTITY_AFTER_A = new Set(['few', 'couple', 'dozen', 'hundred', 'thousand', 'lot', 'number', 'pair', 'bunch', 'group', 'little', 'great', 'good']);
const INTENSIFIERS = new Set(['very', 'really', 'quite', 'rather', 'extremely', 'fairly', 'pretty', 'slightly', 'so', 'too']);
/** Verbs whose form says the subject's number: singular form, plural form. */
const AGREEING_VERBS: ReadonlyMap<string, 'singular' | 'plural'> = new Map(
  [
    ['is', 'are'],
    ['was', 'were'],
    ['has', 'have'],
    ['appears', 'appear'],
    ['looks', 'look'],
    ['sits', 'sit'],
    ['rests', 'rest'],
    ['stands', 'stand'],
    ['lies', 'lie'],
    ['seems', 'seem'],
    ['hangs', 'hang'],
    ['floats', 'float'],
    ['remains', 'remain'],
  ].flatMap(([s, p]) => [
    [s!, 'singular'],
    [p!, 'plural'],
  ]) as Array<[string, 'singular' | 'plural']>,
);
// Depth words a subject may carry before its verb: "the river in the background looks smaller".
const DEPTH_TAILS = new Set(['background', 'foreground', 'distance']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let quote: string | null = null;
  for (const m of text.matchAll(TOKEN_RE)) {
    const raw = m[0];
    const punct = raw.length === 1 && /[.,;:!?"“”()]/.test(raw);
    if (raw === '"' || raw === '“' || raw === '”') {
      quote = quote === null ? raw : null;
      out.push({ text: raw, lower: raw, start: m.index, end: m.index + raw.length, punct: true, quoted: true });
      continue;
    }
    out.push({ text: raw, lower: raw.toLowerCase().replace('’', "'"), start: m.index, end: m.index + raw.length, punct, quoted: quote !== null });
  }
  return out;
}

function countOf(word: string): number | null {
  if (/^\d+$/.test(word)) return Number.parseInt(word, 10);
  return NUMBER_VALUES.get(word) ?? null;
}

interface Head {
  /** Index of the head noun, or -1 when the phrase has none. */
  head: number;
  /** Index of the first token after the phrase. */
  next: number;
  /** The phrase held only adjectives or participles. */
  modifiersOnly: boolean;
}

/** Reads the noun phrase after a determiner at `i - 1`: modifiers, then nouns; its head is the last noun. */
function readHead(tokens: Token[], i: number): Head {
  let head = -1;
  let modifiers = 0;
  let j = i;
  for (; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.punct || t.quoted) break;
    if (countOf(t.lower) !== null && head === -1) continue;
    if (INTENSIFIERS.has(t.lower) && head === -1) continue;
    const c = wordClass(t.lower);
    if (c.closed) break;
    if (c.adjective || c.participle) {
      if (head !== -1) break;
      modifiers++;
      continue;
    }
    if (!c.noun) break;
    // After a noun, a finite verb form ends the phrase ("a cat sits"); before it, "a seats" is a noun.
    if (head !== -1 && c.verb) break;
    head = j;
  }
  return { head, next: j, modifiersOnly: head === -1 && modifiers > 0 };
}

/** Longest run of words checked for an immediate repeat ("in the background in the background"). */
const MAX_REPEAT = 4;

/** Structural grammar issues of `text`, in text order. Quoted text is never checked. */
export function grammarIssues(text: string): GrammarIssue[] {
  const tokens = tokenize(text);
  const issues: GrammarIssue[] = [];
  const span = (a: number, b: number): { words: string; offset: number } => ({ words: text.slice(tokens[a]!.start, tokens[b]!.end), offset: tokens[a]!.start });
  repetitions(tokens, (a, b) => issues.push({ rule: 'repetition', message: `"${text.slice(tokens[a]!.start, tokens[b]!.end)}" says the same words twice`, ...span(a, b) }));

  let sentenceStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.punct) {
      if (SENTENCE_END.has(t.lower)) sentenceStart = true;
      continue;
    }
    const atStart = sentenceStart;
    sentenceStart = false;
    if (t.quoted) continue;
    const next = tokens[i + 1];

    if ((t.lower === 'a' || t.lower === 'an') && next && !next.punct && !next.quoted && !/^\d/.test(next.lower)) {
      const want = article(next.text);
      if (want !== t.lower) issues.push({ rule: 'article', message: `"${t.text} ${next.text}" should be "${want} ${next.text}"`, ...span(i, i + 1) });
    }

    const count = countOf(t.lower);
    const singularDet = SINGULAR_DETERMINERS.has(t.lower) || count === 1;
    const pluralDet = PLURAL_DETERMINERS.has(t.lower) || (count !== null && count > 1);
    const subjectDet = atStart && (SUBJECT_DETERMINERS.has(t.lower) || count !== null);
    if (!singularDet && !pluralDet && !subjectDet) continue;
    if ((t.lower === 'a' || t.lower === 'an') && next && QUANTITY_AFTER_A.has(next.lower)) continue;
    const np = readHead(tokens, i + 1);
    const headNumber = np.head === -1 ? null : wordClass(tokens[np.head]!.lower).number;
    if (np.head !== -1 && headNumber !== 'both') {
      const h = tokens[np.head]!;
      if (singularDet && headNumber === 'plural') issues.push({ rule: 'determiner-number', message: `"${t.text}" needs a singular noun, not "${h.text}"`, ...span(i, np.head) });
      if (pluralDet && headNumber === 'singular') issues.push({ rule: 'determiner-number', message: `"${t.text}" needs a plural noun, not "${h.text}"`, ...span(i, np.head) });
    }
    if (!subjectDet) continue;
    let v = np.next;
    if (tokens[v]?.lower === 'in' && tokens[v + 1]?.lower === 'the' && DEPTH_TAILS.has(tokens[v + 2]?.lower ?? '')) v += 3;
    const verb = tokens[v];
    const verbNumber = verb && !verb.punct ? AGREEING_VERBS.get(verb.lower) : undefined;
    if (!verb || verbNumber === undefined) continue;
    if (np.modifiersOnly) {
      issues.push({ rule: 'noun-head', message: `"${text.slice(t.start, tokens[np.next - 1]!.end)}" has no noun: an adjective or a verb form stands where a noun should be`, ...span(i, v) });
      continue;
    }
    if (np.head === -1) continue;
    const subjectNumber = count !== null && count > 1 ? 'plural' : headNumber;
    if (subjectNumber && subjectNumber !== 'both' && subjectNumber !== verbNumber) {
      issues.push({ rule: 'subject-verb', message: `"${text.slice(t.start, tokens[np.head]!.end)}" is ${subjectNumber}: "${verb.text}" does not agree`, ...span(i, v) });
    }
  }
  return issues;
}

/** Reports each run of 1..MAX_REPEAT words followed at once by the same words (no punctuation between). */
function repetitions(tokens: Token[], report: (first: number, last: number) => void): void {
  for (let i = 0; i < tokens.length; i++) {
    for (let n = MAX_REPEAT; n >= 1; n--) {
      const run = tokens.slice(i, i + 2 * n);
      if (run.length < 2 * n || run.some((t) => t.punct || t.quoted)) continue;
      if (run.slice(0, n).every((t, k) => t.lower === run[n + k]!.lower)) {
        report(i, i + 2 * n - 1);
        i += 2 * n - 1;
        break;
      }
    }
  }
}

const issueKey = (g: GrammarIssue): string => `${g.rule}:${g.words.toLowerCase()}`;

/**
 * Issues of `rewrite` that `original` does not have (same rule, same words). An issue the prompt
 * already has is the person's, however often the rewrite repeats the words.
 */
export function newGrammarIssues(original: string | GrammarBaseline, rewrite: string): GrammarIssue[] {
  const before = typeof original === 'string' ? grammarBaseline(original) : original;
  return grammarIssues(rewrite).filter((g) => !before.keys.has(issueKey(g)));
}

/** The issues a prompt already has, computed once for checking several rewrites of it. */
export interface GrammarBaseline {
  readonly keys: ReadonlySet<string>;
}

/** The baseline `newGrammarIssues` compares rewrites of `original` against. */
export function grammarBaseline(original: string): GrammarBaseline {
  return { keys: new Set(grammarIssues(original).map(issueKey)) };
}
