/**
 * Does a rewrite keep the prompt's meaning? Compares two parser records by nouns (ids differ
 * between parses): the same objects with the same counts, every relation of the original (inverse
 * forms count as equal: left_of(A,B) = right_of(B,A)), and no contradiction.
 */
import { findConflicts, relationKey, relationLabel, type NameOf, type ParsedPrompt } from '../parser/index';

/** Result of `compareRewrite`: `reason` says which object or relation was lost or contradicted. */
export type RewriteComparison = { ok: true } | { ok: false; reason: string };

/** Options of `compareRewrite`. */
export interface CompareOptions {
  /** Relation indices of the original that need not survive (e.g. dropped as contradictory). */
  ignore?: ReadonlySet<number>;
}

/** Stable name per object: its noun plus its rank among objects with the same noun ("cat#2"). */
function objectKeys(p: ParsedPrompt): NameOf {
  const seen = new Map<string, number>();
  const keys = new Map<string, string>();
  for (const o of p.objects) {
    const k = (seen.get(o.noun) ?? 0) + 1;
    seen.set(o.noun, k);
    keys.set(o.id, k === 1 ? o.noun : `${o.noun}#${k}`);
  }
  return (id) => keys.get(id) ?? id;
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
    if (!have.has(relationKey(r, keysBefore))) return { ok: false, reason: `dropped the relation ${relationLabel(r, 'note', keysBefore)}` };
  }
  const clash = findConflicts(rewritten.relations);
  if (clash.length) {
    const names = clash[0]!.map((i) => relationLabel(rewritten.relations[i]!, 'note', keysAfter)).join(' + ');
    return { ok: false, reason: `contradicts itself: ${names}` };
  }
  return { ok: true };
}
