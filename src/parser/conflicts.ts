/** Relation algebra: inverses, a canonical form, and minimal sets of relations that cannot all hold. */
import type { PromptRelation, RelationType } from './types';

const INVERSE: Readonly<Record<RelationType, RelationType | null>> = {
  left_of: 'right_of',
  right_of: 'left_of',
  above: 'below',
  below: 'above',
  on: 'under',
  under: 'on',
  in_front_of: 'behind',
  behind: 'in_front_of',
  larger_than: 'smaller_than',
  smaller_than: 'larger_than',
  next_to: 'next_to',
  near: 'near',
  far_from: 'far_from',
  // "A inside B" does not make B anything of A we can name; "around" is not its exact converse.
  inside: null,
  outside: null,
  between: null,
  around: null,
};

/**
 * The relation that holds with subject and object swapped: inverseRelation('left_of') is
 * 'right_of' (left_of(A, B) == right_of(B, A)); symmetric relations return themselves; null when
 * the swap has no name (inside, outside, between, around).
 */
export function inverseRelation(r: RelationType): RelationType | null {
  return INVERSE[r] ?? null;
}

// The canonical member of each inverse pair.
const CANONICAL = new Set<RelationType>(['left_of', 'above', 'on', 'in_front_of', 'larger_than']);
const SYMMETRIC = new Set<RelationType>(['next_to', 'near', 'far_from']);

/**
 * Rewrites a relation into its canonical form, so equal meanings compare equal: right_of(B, A)
 * becomes left_of(A, B), below -> above, under -> on, behind -> in_front_of, smaller_than ->
 * larger_than, and symmetric relations (next_to, near, far_from) order their two ids. Other fields
 * (phrase, span) are kept.
 */
export function normalizeRelation<T extends PromptRelation>(rel: T): T {
  const { relation, subject, object } = rel;
  if (SYMMETRIC.has(relation)) {
    return subject <= object ? rel : { ...rel, subject: object, object: subject };
  }
  if (CANONICAL.has(relation)) return rel;
  const inv = INVERSE[relation];
  if (inv === null || !CANONICAL.has(inv)) return rel;
  return { ...rel, relation: inv, subject: object, object: subject };
}

// Axes on which the (canonical) relation is a strict order: a cycle is impossible.
const ORDER_AXES: readonly RelationType[] = ['left_of', 'above', 'on', 'in_front_of', 'larger_than', 'inside'];
// Beyond this many relations a prompt is not a prompt; keep the check bounded (linear per line).
const MAX_RELATIONS = 400;

/**
 * Minimal sets of relations (indices into `relations`, ascending) that cannot all hold:
 * direct opposites (left_of(A,B) + left_of(B,A), left_of(A,B) + right_of(A,B), on/under,
 * in_front_of/behind, larger/smaller, inside(A,B) + inside(B,A), inside + outside of the same
 * pair, near or next_to + far_from of the same pair) and cycles through transitivity on one axis
 * (A left of B, B left of C, C left of A). Relations on different axes never clash
 * (left_of(A,B) + above(A,B) is fine, and so is next_to + left_of).
 */
export function findConflicts(relations: readonly PromptRelation[]): number[][] {
  const rels = relations.slice(0, MAX_RELATIONS).map((r) => normalizeRelation(r));
  const found = new Map<string, number[]>();
  const add = (set: number[]): void => {
    const sorted = [...new Set(set)].sort((a, b) => a - b);
    found.set(sorted.join(','), sorted);
  };

  for (const axis of ORDER_AXES) {
    const adjacency = new Map<string, Array<{ to: string; index: number }>>();
    const edges: number[] = [];
    rels.forEach((r, i) => {
      if (r.relation !== axis || r.subject === r.object) return;
      edges.push(i);
      let out = adjacency.get(r.subject);
      if (!out) adjacency.set(r.subject, (out = []));
      out.push({ to: r.object, index: i });
    });
    if (edges.length < 2) continue;
    for (const i of edges) {
      const path = shortestPath(adjacency, rels[i].object, rels[i].subject);
      if (path) add([i, ...path]);
    }
  }

  const pairKey = (a: string, b: string): string => (a <= b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const far = new Map<string, number[]>();
  const inside = new Map<string, number[]>();
  rels.forEach((r, i) => {
    if (r.relation === 'far_from') push(far, pairKey(r.subject, r.object), i);
    if (r.relation === 'inside') push(inside, `${r.subject}\u0000${r.object}`, i);
  });
  rels.forEach((r, i) => {
    if (r.relation === 'near' || r.relation === 'next_to') {
      for (const j of far.get(pairKey(r.subject, r.object)) ?? []) add([i, j]);
    }
    if (r.relation === 'outside') {
      for (const j of inside.get(`${r.subject}\u0000${r.object}`) ?? []) add([i, j]);
    }
  });

  // Keep only minimal sets: a cycle that contains a smaller clash is not itself minimal.
  const sets = [...found.values()].sort((a, b) => a.length - b.length || a[0] - b[0]);
  const minimal: number[][] = [];
  for (const s of sets) {
    if (minimal.some((m) => m.length < s.length && m.every((x) => s.includes(x)))) continue;
    minimal.push(s);
  }
  return minimal.sort((a, b) => a[0] - b[0] || a.length - b.length || a[1] - b[1]);
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Edge indices of a shortest path from `from` to `to`, or null (breadth-first, linear). */
function shortestPath(
  adjacency: Map<string, Array<{ to: string; index: number }>>,
  from: string,
  to: string,
): number[] | null {
  const via = new Map<string, { prev: string; index: number } | null>([[from, null]]);
  const queue = [from];
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q];
    if (node === to) {
      const path: number[] = [];
      for (let step = via.get(node); step; step = via.get(step.prev)) path.push(step.index);
      return path.reverse();
    }
    for (const e of adjacency.get(node) ?? []) {
      if (!via.has(e.to)) {
        via.set(e.to, { prev: node, index: e.index });
        queue.push(e.to);
      }
    }
  }
  return null;
}
