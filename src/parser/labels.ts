/**
 * Relation labels: the one place that turns a parsed relation into words, for every reader (the
 * editor's hints and quick fixes, the preview panel, the planner's and rewriter's notes, the
 * parser's own diagnostics), and the canonical key that says when two relations mean the same.
 */
import { normalizeRelation } from './conflicts';
import type { ParsedPrompt, PromptRelation, RelationType } from './types';

/** How a label names an object id. */
export type NameOf = (id: string) => string;

/** Names objects by their nouns (`cat`), falling back to the id. */
export function nounsOf(parsed: Pick<ParsedPrompt, 'objects'>): NameOf {
  return (id) => parsed.objects.find((o) => o.id === id)?.noun ?? id;
}

/** Names objects by their ids (`cat`, `cat_2`), as the parser does before objects are final. */
export const idsOf: NameOf = (id) => id;

/**
 * Label styles:
 * - `call`: `left_of(cat, dog)`, `between(lamp, sofa, chair)` (inlay hints, hovers, quick fixes);
 * - `phrase`: `cat to the left of dog`, with the words as written (the preview panel);
 * - `note`: `"to the left of" (cat left_of dog)` (planner and rewrite notes);
 * - `sentence`: `cat is left of dog`, plain words for the type (diagnostics).
 */
export type RelationLabelStyle = 'call' | 'phrase' | 'note' | 'sentence';

const WORDS: Readonly<Record<RelationType, string>> = {
  left_of: 'left of',
  right_of: 'right of',
  above: 'above',
  below: 'below',
  on: 'on',
  under: 'under',
  in_front_of: 'in front of',
  behind: 'behind',
  next_to: 'next to',
  near: 'near',
  far_from: 'far from',
  inside: 'inside',
  outside: 'outside',
  between: 'between',
  around: 'around',
  larger_than: 'larger than',
  smaller_than: 'smaller than',
};

/** Plain-English words for a relation type ("left of", "in front of"). */
export function relationWords(r: RelationType): string {
  return WORDS[r];
}

/** A relation in words, in one of the label styles, naming objects with `name`. */
export function relationLabel(r: PromptRelation, style: RelationLabelStyle, name: NameOf): string {
  const s = name(r.subject);
  const o = name(r.object);
  const o2 = r.object2 === undefined ? undefined : name(r.object2);
  switch (style) {
    case 'call':
      return `${r.relation}(${[s, o, ...(o2 === undefined ? [] : [o2])].join(', ')})`;
    case 'phrase':
      return `${s} ${r.phrase} ${o}${o2 === undefined ? '' : ` and ${o2}`}`;
    case 'note':
      return `"${r.phrase || r.relation}" (${s} ${r.relation} ${o}${r.relation === 'between' ? ` and ${o2 ?? String(o2)}` : ''})`;
    case 'sentence':
      return `${s} is ${WORDS[r.relation]} ${r.relation === 'between' && o2 !== undefined ? `${o} and ${o2}` : o}`;
  }
}

const SYMMETRIC = new Set<RelationType>(['next_to', 'near', 'far_from']);

/**
 * A key equal for relations that mean the same under `name`: `right_of(dog, cat)` and
 * `left_of(cat, dog)` share one, symmetric relations and the two sides of `between` are ordered.
 */
export function relationKey(r: PromptRelation, name: NameOf): string {
  const n = normalizeRelation(r);
  let s = name(n.subject);
  let o = name(n.object);
  if (SYMMETRIC.has(n.relation) && o < s) [s, o] = [o, s];
  if (n.relation === 'between') return `between(${s}, ${[o, name(n.object2 ?? '')].sort().join(' & ')})`;
  return `${n.relation}(${s}, ${o})`;
}
