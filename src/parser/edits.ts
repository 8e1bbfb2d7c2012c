/**
 * Edits of prompt text, as pure functions: removing one relation from a prompt (the editor's
 * "Remove the conflicting relation" quick fix) and applying rewrites to a whole prompt document.
 *
 * Relation spans cover only the relation words, while a sensible removal must take the whole
 * clause ("and the dog to the left of the cat") or just its tail ("a cat [to the left of the
 * dog]"), and which one is right depends on how the prompt was written. So a few candidate
 * deletions at clause boundaries are re-parsed, and the one that drops the relation while keeping
 * everything else wins: the parser is the judge of "sensible".
 */
import { nounsOf, relationKey } from './labels';
import type { AnalyzedLine } from './lines';
import { parsePrompt } from './parse';
import type { ParsedPrompt, Span } from './types';

/** A replacement of `span` (into the prompt text) by `newText`. */
export interface PromptEdit {
  span: Span;
  newText: string;
}

export interface RemovalResult {
  /** The smallest edit turning the prompt into `text`. */
  edit: PromptEdit;
  /** The full prompt after the removal. */
  text: string;
  /** The re-parsed result, for callers that want to check it. */
  parsed: ParsedPrompt;
  /** True when every other relation and object survived and no contradiction remains. */
  clean: boolean;
}

// Clause boundaries: sentence ends, semicolons, commas (with an optional conjunction), and bare
// conjunctions that join clauses.
const SEPARATOR = /[.;!?]+\s*|,\s*(?:(?:and|while|but|whereas|with)\s+)?|\s+(?:and|while|but|whereas|with|plus)\s+/gi;

interface Clause {
  /** Start of the separator before the clause (= start when first). */
  sepBefore: number;
  start: number;
  end: number;
  /** End of the separator after the clause (= end when last). */
  sepAfter: number;
}

function clauses(text: string): Clause[] {
  const out: Clause[] = [];
  let prevSepStart = 0;
  let start = 0;
  for (const m of text.matchAll(SEPARATOR)) {
    const s = m.index;
    out.push({ sepBefore: prevSepStart, start, end: s, sepAfter: s + m[0].length });
    prevSepStart = s;
    start = s + m[0].length;
  }
  out.push({ sepBefore: prevSepStart, start, end: text.length, sepAfter: text.length });
  return out;
}

/** Tidies the text left after a deletion: spacing, dangling separators, capitals. */
export function tidy(text: string, capitalize: boolean): string {
  let t = text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;!?])/g, '$1')
    .replace(/,(\s*[,.;!?])+/g, (m) => m.replace(/^,\s*/, ''))
    .replace(/([.;!?])(\s*[,;])+/g, '$1')
    .replace(/([.;!?])\s*\1+/g, '$1')
    .replace(/(^|[.;!?]\s)\s*(?:,\s*)?(?:and|while|but|whereas|with|plus)\s+/gi, '$1')
    .replace(/\s*,?\s*\b(?:and|while|but|whereas|with|plus)\s*([.;!?]|$)/gi, '$1')
    .replace(/^[\s,;.!?]+/, '')
    .replace(/[\s,;]+$/, '')
    .trim();
  if (capitalize) t = t.replace(/(^|[.!?]\s+)([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase());
  return t;
}

function minimalEdit(before: string, after: string): PromptEdit {
  let p = 0;
  const max = Math.min(before.length, after.length);
  while (p < max && before[p] === after[p]) p++;
  let s = 0;
  while (s < max - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { span: [p, before.length - s], newText: after.slice(p, after.length - s) };
}

/**
 * Removes relation `index` of `parsed` from its text. Returns undefined when no candidate
 * deletion makes the relation disappear (the caller then offers no fix rather than a bad one).
 */
export function removeRelation(parsed: ParsedPrompt, index: number): RemovalResult | undefined {
  const target = parsed.relations[index];
  if (target === undefined) return undefined;
  const text = parsed.text;
  const targetKey = relationKey(target, nounsOf(parsed));
  const otherKeys = new Set(parsed.relations.filter((_r, i) => i !== index).map((r) => relationKey(r, nounsOf(parsed))));
  // The same relation stated twice must not count as "kept" for the one being removed.
  otherKeys.delete(targetKey);
  const nouns = new Set(parsed.objects.map((o) => o.noun));
  const capitalize = /^\s*[A-Z]/.test(text);

  const all = clauses(text);
  const [pStart, pEnd] = target.span;
  const ci = Math.max(0, all.findIndex((c) => pStart >= c.start && pStart <= c.end));
  const objectEnds = [target.object, target.object2]
    .map((id) => parsed.objects.find((o) => o.id === id)?.span[1])
    .filter((n): n is number => n !== undefined && n >= pEnd);

  // Candidates in order of preference: dropping a whole clause reads best, then dropping the
  // relation words with what follows them (keeping the subject); wider clauses are for phrases
  // like "between the cat and the dog" that the separators split.
  const ranges: Span[] = [];
  for (let extra = 0; extra <= 2; extra++) {
    const first = all[ci];
    const last = all[Math.min(all.length - 1, ci + extra)];
    if (first === undefined || last === undefined) continue;
    ranges.push([first.sepBefore, last.end]); // the clause with the separator before it
    ranges.push([first.start, last.sepAfter]); // the clause with the separator after it
    ranges.push([pStart, last.end]); // the tail: relation words and what follows, keeping the subject
  }
  for (const e of objectEnds) ranges.push([pStart, e]);

  let best: { score: number; text: string; parsed: ParsedPrompt; clean: boolean } | undefined;
  const seen = new Set<string>();
  for (const [rank, [a, b]] of ranges.entries()) {
    if (b <= a) continue;
    const candidate = tidy(text.slice(0, a) + ' ' + text.slice(b), capitalize);
    if (candidate.length === 0 || seen.has(candidate)) continue;
    seen.add(candidate);
    const re = parsePrompt(candidate);
    const keys = new Set(re.relations.map((r) => relationKey(r, nounsOf(re))));
    if (keys.has(targetKey)) continue;
    const lostRelations = [...otherKeys].filter((k) => !keys.has(k)).length;
    const reNouns = new Set(re.objects.map((o) => o.noun));
    const lostObjects = [...nouns].filter((n) => !reNouns.has(n)).length;
    const contradictions = re.diagnostics.filter((d) => d.code === 'contradiction').length;
    const added = [...keys].filter((k) => !otherKeys.has(k)).length;
    // Losing another relation is worst, then contradictions, then objects; ties go to the
    // preferred kind of deletion.
    const score = lostRelations * 100 + contradictions * 40 + lostObjects * 20 + added * 10 + rank * 0.1;
    if (best === undefined || score < best.score) {
      best = { score, text: candidate, parsed: re, clean: lostRelations === 0 && lostObjects === 0 && contradictions === 0 };
    }
  }
  if (best === undefined) return undefined;
  return { edit: minimalEdit(text, best.text), text: best.text, parsed: best.parsed, clean: best.clean };
}

/**
 * A rewrite flattened to one line: a prompt file holds one prompt per line, so the multi-sentence
 * rewrite must not introduce line breaks.
 */
export function toSingleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Replaces each analysed prompt of `text` with `rewrite(entry)`, keeping comments, blank lines,
 * indentation and the file's line endings. Lines whose rewrite is undefined stay as they are.
 */
export function rewriteDocumentText(text: string, lines: readonly AnalyzedLine[], rewrite: (entry: AnalyzedLine) => string | undefined): string {
  const parts = text.split(/(\r\n|\n|\r)/);
  // parts alternates line, separator, line, ...; line n is parts[2n].
  for (const entry of lines) {
    const idx = entry.line * 2;
    const original = parts[idx];
    if (original === undefined) continue;
    const replacement = rewrite(entry);
    if (replacement === undefined) continue;
    const end = entry.offset + entry.parsed.text.length;
    parts[idx] = original.slice(0, entry.offset) + toSingleLine(replacement) + original.slice(end);
  }
  return parts.join('');
}
