/**
 * Does a rewrite keep the prompt's meaning? Compares two parser records by nouns (ids differ
 * between parses): the same objects with the same counts, every relation of the original (inverse
 * forms count as equal: left_of(A,B) = right_of(B,A)), every placement an object had on its own,
 * and no contradiction the prompt did not already have. `checkRewrite` adds the word-level checks:
 * every content word kept, no new grammar issue.
 */
import { findConflicts, parsePrompt, relationKey as keyOf, relationLabel, type NameOf, type ParsedPrompt, type PromptRelation } from '../parser/index';
import { missingContent } from './content';
import { newGrammarIssues } from './grammar';

/** Result of `compareRewrite`: `reason` says which object or relation was lost or contradicted. */
export type RewriteComparison = { ok: true } | { ok: false; reason: string };

/** Options of `compareRewrite`. */
export interface CompareOptions {
  /** Relation indices of the original that need not survive (e.g. dropped as contradictory). */
  ignore?: ReadonlySet<number>;
}

/** Stable key per object: its noun plus its rank among objects with the same noun ("cat#2"). */
function objectKeys(p: ParsedPrompt): Map<string, string> {
  const seen = new Map<string, number>();
  const keys = new Map<string, string>();
  for (const o of p.objects) {
    const k = (seen.get(o.noun) ?? 0) + 1;
    seen.set(o.noun, k);
    keys.set(o.id, k === 1 ? o.noun : `${o.noun}#${k}`);
  }
  return keys;
}

/** The object keys as the parser's relation labels name objects. */
function names(keys: Map<string, string>): NameOf {
  return (id) => keys.get(id) ?? id;
}

function relationKey(r: PromptRelation, keys: Map<string, string>): string {
  return keyOf(r, names(keys));
}

function readable(r: PromptRelation, keys: Map<string, string>): string {
  return relationLabel(r, 'note', names(keys));
}

/** Checks that `rewritten` keeps every object, count and relation of `original` without contradiction. */
export function compareRewrite(original: ParsedPrompt, rewritten: ParsedPrompt, options: CompareOptions = {}): RewriteComparison {
  const countsOf = (p: ParsedPrompt): Map<string, Array<number | null>> => {
    const m = new Map<string, Array<number | null>>();
    for (const o of p.objects) (m.get(o.noun) ?? m.set(o.noun, []).get(o.noun)!).push(o.count);
    return m;
  };
  const before = countsOf(original);
  const after = countsOf(rewritten);
  for (const [noun, counts] of before) {
    const got = after.get(noun);
    if (!got) return { ok: false, reason: `lost the object "${noun}"` };
    const want = counts.map(String).sort().join(',');
    const have = got.map(String).sort().join(',');
    if (want !== have) return { ok: false, reason: `changed the count of "${noun}" from ${want.replace(/null/g, 'unspecified')} to ${have.replace(/null/g, 'unspecified')}` };
  }
  for (const noun of after.keys()) {
    if (!before.has(noun)) return { ok: false, reason: `added an object "${noun}" the prompt does not have` };
  }
  const keysBefore = objectKeys(original);
  const keysAfter = objectKeys(rewritten);
  const have = new Set(rewritten.relations.map((r) => relationKey(r, keysAfter)));
  for (let i = 0; i < original.relations.length; i++) {
    if (options.ignore?.has(i)) continue;
    const r = original.relations[i]!;
    if (!have.has(relationKey(r, keysBefore))) return { ok: false, reason: `dropped the relation ${readable(r, keysBefore)}` };
  }
  const placementsAfter = new Map<string, Set<string>>();
  for (const o of rewritten.objects) placementsAfter.set(keysAfter.get(o.id)!, new Set(o.placements));
  for (const o of original.objects) {
    const key = keysBefore.get(o.id)!;
    const lost = o.placements.filter((p) => !placementsAfter.get(key)?.has(p));
    if (lost.length) return { ok: false, reason: `dropped the placement "${lost[0]}" of "${o.noun}"` };
  }
  // A clash the prompt itself states (kept because the rewrite keeps the person's words) is not
  // the rewrite's doing; one that involves any other relation is.
  const clashingBefore = new Set(findConflicts(original.relations).flat().map((i) => relationKey(original.relations[i]!, keysBefore)));
  for (const clash of findConflicts(rewritten.relations)) {
    if (clash.every((i) => clashingBefore.has(relationKey(rewritten.relations[i]!, keysAfter)))) continue;
    const names = clash.map((i) => readable(rewritten.relations[i]!, keysAfter)).join(' + ');
    return { ok: false, reason: `contradicts itself: ${names}` };
  }
  return { ok: true };
}

/**
 * Everything a rewrite of `original` must pass: `compareRewrite` on its parse, every content word
 * and quotation of the prompt kept (by lemma), and no structural grammar issue the prompt did not
 * have. The reason names the first failure.
 */
export function checkRewrite(original: ParsedPrompt, rewrite: string, options: CompareOptions = {}): RewriteComparison {
  const relations = compareRewrite(original, parsePrompt(rewrite), options);
  if (!relations.ok) return relations;
  const missing = missingContent(original.text, rewrite);
  if (missing.length) return { ok: false, reason: `dropped the words ${missing.map((w) => `"${w.text}"`).join(', ')}` };
  const grammar = newGrammarIssues(original.text, rewrite);
  if (grammar.length) return { ok: false, reason: `has a grammar error: ${grammar[0]!.message}` };
  return { ok: true };
}
