/**
 * The layout planner: turns a parsed prompt into one box per counted object instance so that every
 * stated relation holds under VISOR's, GenEval's and T2I-CompBench's rules at once.
 *
 * How it works (all integer graph work on a handful of nodes, so it stays fast):
 * 1. Contact relations (on, under, inside, around, in front of, behind) join instances into
 *    *groups*, small trees drawn inside one grid cell from fixed templates (a support at the bottom
 *    with its load touching its top, a container with its contents inset, a back object higher and
 *    smaller than the one in front of it).
 * 2. The other relations become difference constraints between groups on a grid: left/right order
 *    columns, above/below order rows, near/next to/between prefer the same row. A cycle in either
 *    order is a contradiction and is reported as the relations along the shortest such cycle.
 * 3. Rows and columns come from longest paths; groups that would share a cell are pushed apart by
 *    extra order edges, which never create a cycle because they follow the current column order.
 *    Grid neighbours in one row have the same centre height, so the horizontal relations clear
 *    T2I's dominant-axis test, the boxes never overlap (IoU 0) and the column gap exceeds GenEval's
 *    0.1 x (wA + wB) margin; the same holds for rows.
 * 4. Unrelated parts are shelf-packed into a near-square grid; larger/smaller scale whole groups.
 * 5. Every relation is checked with the benchmark rules themselves; when the centroid rule fails
 *    a deletion filter finds the smallest clashing subset of relations.
 */
import { findConflicts, nounsOf, relationLabel, type ParsedPrompt, type PromptObject, type PromptRelation, type RelationType } from '../parser/index';
import type { Box } from '../protocol/geometry';
import { boxIou, genevalRule, t2iCompbenchPosition, visorRule } from '../evaluate/index';
import { createRandom } from './prng';
import { sizeClass as objectSizeClass } from './sizes';
import type { Layout, LayoutBox, LayoutCheck, LayoutOptions, LayoutResult } from './types';

/** Counted objects beyond this many instances are drawn with this many boxes. */
export const MAX_INSTANCES_PER_OBJECT = 12;
/** Boxes drawn for a plural with no stated count ("some apples"). */
export const UNKNOWN_PLURAL_COUNT = 3;
/** Hard cap on boxes per layout so a hostile prompt ("1000 birds" x 50) stays cheap. */
export const MAX_BOXES = 96;

const DEFAULT_SIZE = 768;
const EPS = 1.5;

type Role = 'on' | 'under' | 'inside' | 'front' | 'behind';

interface Instance {
  id: string;
  objectId: string;
  noun: string;
  object: number;
}

interface Edge {
  from: number;
  to: number;
  weight: number;
  relation: number;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Which side of a contact relation is the anchor (parent) and how the other one hangs off it. */
const CONTACT: Partial<Record<RelationType, { parent: 'subject' | 'object'; role: Role }>> = {
  on: { parent: 'object', role: 'on' },
  under: { parent: 'object', role: 'under' },
  inside: { parent: 'object', role: 'inside' },
  around: { parent: 'subject', role: 'inside' },
  in_front_of: { parent: 'object', role: 'front' },
  behind: { parent: 'object', role: 'behind' },
};

/** Relations that put two objects side by side in one row. */
const SIDE_BY_SIDE = new Set<RelationType>(['left_of', 'right_of', 'next_to', 'near', 'outside', 'far_from', 'between']);

/** Relations judged per subject instance ("each cat is on some table"), not over every pair. */
const EXISTENTIAL = new Set<RelationType>(['on', 'under', 'inside', 'around', 'in_front_of', 'behind', 'next_to', 'near', 'outside']);

/** Relations the benchmark rules judge, after mapping contact words onto their direction. */
function ruleRelation(relation: RelationType): RelationType {
  if (relation === 'on') return 'above';
  if (relation === 'under') return 'below';
  return relation;
}

/**
 * Plans a layout for `parsed`. Deterministic for the same prompt, options and seed.
 * Returns `ok: false` with the smallest clashing relation sets when the relations cannot hold
 * together (opposed relations, cycles such as A left of B left of C left of A).
 */
export function planLayout(parsed: ParsedPrompt, options: LayoutOptions = {}): LayoutResult {
  const width = sanitizeSize(options.width, 'width');
  const height = sanitizeSize(options.height, 'height');
  // The parser's relation algebra names opposed pairs and order cycles; the planner adds the
  // geometric clashes it cannot see (A on B while B is above A).
  const stated = findConflicts(parsed.relations);
  if (stated.length) return conflictResult(parsed, stated);
  const all = parsed.relations.map((_, i) => i);
  let first = solve(parsed, new Set(all), width, height, options.seed, true);
  if (!first.cycles.length && first.layout.checks.some((c) => !c.satisfied) && parsed.objects.some((o) => o.placements.length)) {
    // Sides are wishes: when honouring them costs a relation its check, plan without them.
    const plain = solve(parsed, new Set(all), width, height, options.seed, false);
    const unmet = (r: SolveResult): number => r.layout.checks.filter((c) => !c.satisfied).length;
    if (!plain.cycles.length && unmet(plain) < unmet(first)) first = plain;
  }
  if (first.cycles.length) {
    return conflictResult(parsed, first.cycles);
  }
  const failing = hardFailures(first.layout, new Set(all));
  if (failing.length === 0) return { ok: true, layout: first.layout };
  // The centroid rule failed: either the relations clash in a way no cycle shows (A on B and A
  // under B), or the planner met a case it cannot draw. A minimal failing subset tells which.
  const core = minimalFailingSubset(parsed, all, width, height, options.seed);
  if (core.length >= 2) return conflictResult(parsed, [core]);
  return { ok: true, layout: first.layout };
}

function sanitizeSize(value: number | undefined, name: string): number {
  if (value === undefined) return DEFAULT_SIZE;
  if (!Number.isFinite(value) || value < 16 || value > 16384) {
    throw new RangeError(`layout ${name} must be a number of pixels between 16 and 16384, got ${value}`);
  }
  return Math.round(value);
}

function conflictResult(parsed: ParsedPrompt, conflicts: number[][]): LayoutResult {
  const sorted = conflicts.map((c) => [...new Set(c)].sort((a, b) => a - b));
  const described = sorted.map((c) => c.map((i) => relationLabel(parsed.relations[i]!, 'note', nounsOf(parsed))).join(' + ')).join('; ');
  return {
    ok: false,
    conflicts: sorted,
    message: `These relations cannot all hold in one picture: ${described}. Remove or change one of them.`,
  };
}

function hardFailures(layout: Layout, active: Set<number>): number[] {
  return layout.checks.filter((c) => active.has(c.relation) && c.visor === false).map((c) => c.relation);
}

/** Deletion filter: drops each relation in turn and keeps it out when the rest still fails. */
function minimalFailingSubset(parsed: ParsedPrompt, all: number[], width: number, height: number, seed: number | undefined): number[] {
  const fails = (set: Set<number>): boolean => {
    const r = solve(parsed, set, width, height, seed, false);
    return r.cycles.length > 0 || hardFailures(r.layout, set).length > 0;
  };
  const current = new Set(all);
  for (const i of [...all].reverse()) {
    current.delete(i);
    if (!fails(current)) current.add(i);
  }
  return [...current].sort((a, b) => a - b);
}

interface SolveResult {
  layout: Layout;
  cycles: number[][];
}

function solve(parsed: ParsedPrompt, active: Set<number>, width: number, height: number, seed: number | undefined, sides: boolean): SolveResult {
  // --- instances -----------------------------------------------------------------------------
  const instances: Instance[] = [];
  const byObject = new Map<string, number[]>();
  parsed.objects.forEach((o, objectIndex) => {
    // "some apples" (count unknown but plural) is drawn as a few, so the picture reads as plural.
    const count = o.count ?? (o.noun !== o.phrase.trim().split(/\s+/).pop() && /s$/i.test(o.phrase.trim()) ? UNKNOWN_PLURAL_COUNT : 1);
    const n = Math.max(1, Math.min(MAX_INSTANCES_PER_OBJECT, Math.floor(count)));
    const ids: number[] = [];
    for (let k = 0; k < n && instances.length < MAX_BOXES; k++) {
      ids.push(instances.length);
      instances.push({ id: n > 1 ? `${o.id}#${k + 1}` : o.id, objectId: o.id, noun: o.noun, object: objectIndex });
    }
    byObject.set(o.id, ids);
  });
  const n = instances.length;
  const random = createRandom(seed ?? 0);
  // Ties between unordered objects follow the prompt's order unless a seed asks for variety.
  const tieKey = instances.map((_, i) => (seed === undefined ? i : random()));

  // --- contact groups ------------------------------------------------------------------------
  const parent = new Array<number>(n).fill(-1);
  const role = new Array<Role | null>(n).fill(null);
  const isAncestor = (a: number, b: number): boolean => {
    for (let x = b; x !== -1; x = parent[x]!) if (x === a) return true;
    return false;
  };
  const rootOf = (i: number): number => {
    let x = i;
    while (parent[x] !== -1) x = parent[x]!;
    return x;
  };
  /** Instance pairs each relation acts on ([subject, object, object2?]). */
  const pairs: number[][][] = parsed.relations.map((r) => relationPairs(r, byObject));
  /** Pairs a contact relation could not turn into a parent link; they become grid constraints. */
  const leftover: number[][][] = pairs.map(() => []);
  parsed.relations.forEach((r, ri) => {
    if (!active.has(ri)) return;
    const contact = CONTACT[r.relation];
    if (!contact) {
      leftover[ri] = pairs[ri]!;
      return;
    }
    for (const pair of pairs[ri]!) {
      const [s, o] = pair as [number, number];
      const [p, c] = contact.parent === 'object' ? [o, s] : [s, o];
      // In front of / behind move a whole group: "a cat on a rug in front of the fireplace".
      const depth = contact.role === 'front' || contact.role === 'behind';
      const mover = parent[c] !== -1 && depth ? rootOf(c) : c;
      if (parent[mover] === -1 && !isAncestor(mover, p) && mover !== p) {
        parent[mover] = p;
        role[mover] = contact.role;
      } else {
        leftover[ri]!.push(pair);
      }
    }
  });
  attachDepthPlacements(parsed, active, byObject, parent, role, rootOf, isAncestor);
  const groupIndex = new Map<number, number>();
  const groupRoots: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rootOf(i);
    if (!groupIndex.has(r)) {
      groupIndex.set(r, groupRoots.length);
      groupRoots.push(r);
    }
  }
  const groupOf = (i: number): number => groupIndex.get(rootOf(i))!;
  const G = groupRoots.length;
  const groupTie = groupRoots.map((r) => tieKey[r]!);

  // --- grid constraints between groups -------------------------------------------------------
  const xEdges: Edge[] = [];
  const yEdges: Edge[] = [];
  const rowWish: Array<[number, number]> = [];
  const colWish: Array<[number, number]> = [];
  const sizeEdges: Edge[] = [];
  const oriented: Array<{ relation: number; chain: number[]; weight: number }> = [];
  // How far an instance is from the middle of its object's row of instances. Wishes of middle
  // instances go first, so "clouds above a tower" puts the tower under the middle cloud, where
  // every cloud is more above it than beside it (T2I's dominant-axis test).
  const offCentre = (i: number): number => {
    const ids = byObject.get(instances[i]!.objectId)!;
    return Math.abs(ids.indexOf(i) - (ids.length - 1) / 2);
  };
  parsed.relations.forEach((r, ri) => {
    if (!active.has(ri)) return;
    const ordered = leftover[ri]!.map((pair, k) => ({ pair, k, off: pair.reduce((sum, i) => sum + offCentre(i), 0) }));
    ordered.sort((x, y) => x.off - y.off || x.k - y.k);
    for (const { pair } of ordered) {
      const [a, b, c] = pair.map(groupOf) as [number, number, number | undefined];
      if (r.relation === 'between') {
        if (c === undefined) continue;
        if (a !== b) rowWish.push([a, b]);
        if (a !== c) rowWish.push([a, c]);
        if (a !== b && a !== c && b !== c) oriented.push({ relation: ri, chain: [b, a, c], weight: 1 });
        continue;
      }
      if (a === b) continue;
      switch (r.relation) {
        case 'left_of':
          xEdges.push({ from: a, to: b, weight: 1, relation: ri });
          rowWish.push([a, b]);
          break;
        case 'right_of':
          xEdges.push({ from: b, to: a, weight: 1, relation: ri });
          rowWish.push([a, b]);
          break;
        case 'above':
        case 'on':
        case 'behind':
          yEdges.push({ from: a, to: b, weight: 1, relation: ri });
          colWish.push([a, b]);
          break;
        case 'below':
        case 'under':
        case 'in_front_of':
          yEdges.push({ from: b, to: a, weight: 1, relation: ri });
          colWish.push([a, b]);
          break;
        case 'far_from':
          rowWish.push([a, b]);
          oriented.push({ relation: ri, chain: [a, b], weight: 2 });
          break;
        case 'larger_than':
          sizeEdges.push({ from: b, to: a, weight: 1, relation: ri });
          break;
        case 'smaller_than':
          sizeEdges.push({ from: a, to: b, weight: 1, relation: ri });
          break;
        default:
          // next_to, near, outside and contact relations that found no parent: side by side.
          rowWish.push([a, b]);
      }
    }
  });
  // "between" and "far from" may face either way: follow any order already stated.
  for (const o of oriented) {
    const chain = reaches(xEdges, G, o.chain[o.chain.length - 1]!, o.chain[0]!) ? [...o.chain].reverse() : o.chain;
    for (let k = 0; k + 1 < chain.length; k++) xEdges.push({ from: chain[k]!, to: chain[k + 1]!, weight: o.weight, relation: o.relation });
  }
  const cycles = [...findCycles(xEdges, G), ...findCycles(yEdges, G)];
  if (cycles.length) return { layout: emptyLayout(width, height), cycles };
  // Sides the prompt gives objects on their own ("a cat on the left") order the grid too, as far
  // as the stated relations allow; they are wishes, so they never make a contradiction.
  const targets = sides ? groupTargets(parsed, instances, G, groupOf) : { x: new Array<number>(G).fill(-1), y: new Array<number>(G).fill(-1) };
  orderBySide(xEdges, targets.x, G, colWish);
  orderBySide(yEdges, targets.y, G, rowWish);
  // Instances of one counted object stand side by side unless something else places them.
  for (const ids of byObject.values()) {
    for (let k = 0; k + 1 < ids.length; k++) {
      const a = groupOf(ids[k]!);
      const b = groupOf(ids[k + 1]!);
      if (a !== b) rowWish.push([a, b]);
    }
  }

  // --- rows: merge "same row" wishes that no vertical order forbids ---------------------------
  const rowClass = unionWhile(G, rowWish, (cls) => acyclic(yEdges, cls));
  const rowOfClass = longestPath(yEdges, rowClass);
  const row = Array.from({ length: G }, (_, g) => rowOfClass[rowClass[g]!]!);

  // --- columns: merge "same column" wishes, then push apart groups that share a cell ----------
  const colClass = unionWhile(G, colWish, (cls) => {
    if (!acyclic(xEdges, cls)) return false;
    const seen = new Set<string>();
    for (let g = 0; g < G; g++) {
      const key = `${cls[g]}:${row[g]}`;
      if (seen.has(key)) return false;
      seen.add(key);
    }
    return true;
  });
  const extra: Edge[] = [];
  let col: number[] = [];
  for (let guard = 0; guard <= G * G; guard++) {
    const colOfClass = longestPath([...xEdges, ...extra], colClass);
    col = Array.from({ length: G }, (_, g) => colOfClass[colClass[g]!]!);
    const clash = firstClash(G, row, col, groupTie);
    if (!clash) break;
    extra.push({ from: clash[0], to: clash[1], weight: 1, relation: -1 });
  }

  // --- pack unrelated parts into a near-square grid ------------------------------------------
  const componentOf = unionAll(G, [
    ...xEdges.map((e): [number, number] => [e.from, e.to]),
    ...yEdges.map((e): [number, number] => [e.from, e.to]),
    ...rowWish,
    ...colWish,
  ]);
  const place = packComponents(G, componentOf, row, col);
  centreOverRows(place, xEdges, yEdges, G, width, height);
  padToTargets(place, targets);

  // --- sizes -----------------------------------------------------------------------------------
  const sizeClass = Array.from({ length: G }, (_, g) => g);
  const sizeUsable = acyclic(sizeEdges, sizeClass) ? sizeEdges : [];
  const sizeLevel = longestPath(sizeUsable, sizeClass);
  const sized = new Set(sizeUsable.flatMap((e) => [e.from, e.to]));
  const maxLevel = Math.max(1, ...sizeLevel);

  // --- boxes -----------------------------------------------------------------------------------
  const cellW = width / place.cols;
  const cellH = height / place.rows;
  const rects: Rect[] = new Array<Rect>(n);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) if (parent[i] !== -1) children[parent[i]!]!.push(i);
  const cellTop = new Array<number>(G).fill(0);
  /**
   * A lone object beside a member of a contact group (a lamp next to the cat on a table) moves up
   * or down inside its cell to that member's height: T2I's proximity rule wants |dy| < 150 px and
   * its directional rule a dominant horizontal offset.
   */
  const alignLeaves = (): void => {
    const aligned = new Set<number>();
    const isLeaf = (i: number): boolean => parent[i] === -1 && children[i]!.length === 0;
    parsed.relations.forEach((r, ri) => {
      if (!active.has(ri) || !SIDE_BY_SIDE.has(r.relation)) return;
      for (const pair of leftover[ri]!) {
        for (const [a, b] of [[pair[0]!, pair[1]!], [pair[1]!, pair[0]!]] as const) {
          const ga = groupOf(a);
          const gb = groupOf(b);
          if (!isLeaf(a) || isLeaf(b) || aligned.has(a) || ga === gb || place.y[ga] !== place.y[gb]) continue;
          const box = rects[a]!;
          const target = rects[b]!.y + rects[b]!.h / 2 - box.h / 2;
          box.y = clamp(target, cellTop[ga]!, cellTop[ga]! + cellH - box.h);
          aligned.add(a);
        }
      }
    });
  };
  for (let g = 0; g < G; g++) {
    const cx = (place.x[g]! + 0.5) * cellW;
    const cy = (place.y[g]! + 0.5) * cellH;
    let w = cellW * 0.86;
    let h = cellH * 0.86;
    // Very thin cells make unreadable boxes: keep the aspect ratio within 1:1.6.
    if (w > h * 1.6) w = h * 1.6;
    if (h > w * 1.6) h = w * 1.6;
    // Stated sizes rank the groups; otherwise the root's typical size (cup < dog < elephant).
    const rootObject = parsed.objects[instances[groupRoots[g]!]!.object]!;
    let scale = sized.has(g) ? 0.55 + 0.45 * (sizeLevel[g]! / maxLevel) : 0.5 + 0.125 * (objectSizeClass(rootObject) - 1);
    // Depth shows as size: far things are drawn smaller, near ones larger.
    const depth = depthOf(rootObject);
    if (depth === 'background') scale *= 0.75;
    else if (depth === 'foreground') scale = Math.min(1, scale * 1.15);
    w *= scale;
    h *= scale;
    drawGroup(groupRoots[g]!, { x: cx - w / 2, y: cy - h / 2, w, h }, children, role, rects);
    cellTop[g] = cy - cellH / 2;
  }
  alignLeaves();
  const boxes: LayoutBox[] = instances.map((inst, i) => {
    const r = roundRect(rects[i]!, width, height);
    return { id: inst.id, objectId: inst.objectId, noun: inst.noun, x: r.x, y: r.y, w: r.w, h: r.h };
  });

  const checks = parsed.relations.map((r, ri) => checkRelation(r, ri, pairs[ri]!, boxes, width, height));
  return { layout: { width, height, boxes, checks, placements: placementsOf(parsed, boxes, width, height) }, cycles: [] };
}

/**
 * Each relation of `parsed` judged on `layout`'s boxes, as `planLayout` judges its own plan: the
 * benchmark rules plus the planner's geometric reading of the relation word, over every instance
 * pair. For layouts the user edited (the preview panel, a saved layout file); on a planned layout
 * it gives back the plan's own `checks`. Boxes are matched to objects by `objectId`, in order.
 */
export function checkLayout(parsed: Pick<ParsedPrompt, 'relations'>, layout: Pick<Layout, 'width' | 'height' | 'boxes'>): LayoutCheck[] {
  const byObject = new Map<string, number[]>();
  layout.boxes.forEach((b, i) => {
    const ids = byObject.get(b.objectId);
    if (ids) ids.push(i);
    else byObject.set(b.objectId, [i]);
  });
  return parsed.relations.map((r, ri) => checkRelation(r, ri, relationPairs(r, byObject), layout.boxes, layout.width, layout.height));
}

/**
 * `layout` with its boxes replaced by `boxes` (moved or resized, same ids), and the relation checks
 * and placement words recomputed for them.
 */
export function layoutWithBoxes(parsed: ParsedPrompt, layout: Pick<Layout, 'width' | 'height'>, boxes: readonly LayoutBox[]): Layout {
  const next = { width: layout.width, height: layout.height, boxes: boxes.map((b) => ({ ...b })) };
  return { ...next, checks: checkLayout(parsed, next), placements: placementsOf(parsed, next.boxes, next.width, next.height) };
}

function emptyLayout(width: number, height: number): Layout {
  return { width, height, boxes: [], checks: [], placements: {} };
}

/** Instance tuples a relation acts on: every subject instance with every object instance. */
function relationPairs(r: PromptRelation, byObject: Map<string, number[]>): number[][] {
  const s = byObject.get(r.subject) ?? [];
  const o = byObject.get(r.object) ?? [];
  const out: number[][] = [];
  if (r.relation === 'between') {
    const o2 = byObject.get(r.object2 ?? '') ?? [];
    // "between two trees": one object with two instances stands for both sides.
    if (!r.object2 && o.length >= 2) {
      for (const a of s) out.push([a, o[0]!, o[1]!]);
      return out;
    }
    for (const a of s) for (const b of o) for (const c of o2) if (a !== b && a !== c && b !== c) out.push([a, b, c]);
    return out;
  }
  if (r.subject === r.object) {
    // "two cats, one left of the other": relate the instances among themselves.
    for (let k = 0; k + 1 < s.length; k++) out.push([s[k]!, s[k + 1]!]);
    return out;
  }
  for (const a of s) for (const b of o) out.push([a, b]);
  return out;
}

/** Union-find over `n` items applying `wishes` in order, each kept only when `ok(classes)` holds. */
function unionWhile(n: number, wishes: Array<[number, number]>, ok: (cls: number[]) => boolean): number[] {
  let cls = Array.from({ length: n }, (_, i) => i);
  for (const [a, b] of wishes) {
    const ca = cls[a]!;
    const cb = cls[b]!;
    if (ca === cb) continue;
    const next = cls.map((c) => (c === cb ? ca : c));
    if (ok(next)) cls = next;
  }
  return cls;
}

function unionAll(n: number, links: Array<[number, number]>): number[] {
  return unionWhile(n, links, () => true);
}

/** True when the edges, mapped onto classes, have no cycle (and no edge inside a class). */
function acyclic(edges: Edge[], cls: number[]): boolean {
  const adj = new Map<number, number[]>();
  for (const e of edges) {
    const a = cls[e.from]!;
    const b = cls[e.to]!;
    if (a === b) return false;
    (adj.get(a) ?? adj.set(a, []).get(a)!).push(b);
  }
  const state = new Map<number, number>();
  const visit = (v: number): boolean => {
    const s = state.get(v);
    if (s === 1) return false;
    if (s === 2) return true;
    state.set(v, 1);
    for (const w of adj.get(v) ?? []) if (!visit(w)) return false;
    state.set(v, 2);
    return true;
  };
  for (const v of adj.keys()) if (!visit(v)) return false;
  return true;
}

/** Longest weighted path ending at each class (0 for sources); edges must be acyclic on classes. */
function longestPath(edges: Edge[], cls: number[]): number[] {
  const level = new Array<number>(cls.length).fill(0);
  // Bellman-Ford style relaxation: at most (#classes) rounds on an acyclic graph.
  for (let round = 0; round <= cls.length; round++) {
    let changed = false;
    for (const e of edges) {
      const a = cls[e.from]!;
      const b = cls[e.to]!;
      if (level[b]! < level[a]! + e.weight) {
        level[b] = level[a]! + e.weight;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return level;
}

function reaches(edges: Edge[], n: number, from: number, to: number): boolean {
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) adj[e.from]!.push(e.to);
  const seen = new Set<number>([from]);
  const stack = [from];
  while (stack.length) {
    const v = stack.pop()!;
    if (v === to) return true;
    for (const w of adj[v]!) {
      if (seen.has(w)) continue;
      seen.add(w);
      stack.push(w);
    }
  }
  return false;
}

/**
 * Finds order cycles and returns, for each, the relation indices along a shortest one. After a
 * cycle is found the edges of its last-stated relation are set aside so that independent cycles
 * are reported too.
 */
function findCycles(edges: Edge[], n: number): number[][] {
  const out: number[][] = [];
  if (edges.length < 2) return out;
  let live = edges.slice();
  for (let guard = 0; guard < edges.length; guard++) {
    const cycle = shortestCycle(live, n);
    if (!cycle) break;
    out.push([...new Set(cycle)].sort((a, b) => a - b));
    const drop = Math.max(...cycle);
    live = live.filter((e) => e.relation !== drop);
  }
  return out;
}

function shortestCycle(edges: Edge[], n: number): number[] | null {
  const adj: Edge[][] = Array.from({ length: n }, () => []);
  for (const e of edges) adj[e.from]!.push(e);
  let best: number[] | null = null;
  for (let start = 0; start < n; start++) {
    // BFS from start; a path back to start closes a cycle.
    const via = new Map<number, Edge>();
    const queue = [start];
    const seen = new Set<number>([start]);
    let closing: Edge | null = null;
    for (let qi = 0; qi < queue.length && !closing; qi++) {
      const v = queue[qi]!;
      for (const e of adj[v]!) {
        if (e.to === start) {
          closing = e;
          break;
        }
        if (!seen.has(e.to)) {
          seen.add(e.to);
          via.set(e.to, e);
          queue.push(e.to);
        }
      }
    }
    if (!closing) continue;
    const rels = [closing.relation];
    for (let v = closing.from; v !== start; v = via.get(v)!.from) rels.push(via.get(v)!.relation);
    if (!best || rels.length < best.length) best = rels;
  }
  return best;
}

/** The first pair of groups that share a cell, ordered by column then tie key. */
function firstClash(G: number, row: number[], col: number[], tie: number[]): [number, number] | null {
  const cells = new Map<string, number>();
  const order = Array.from({ length: G }, (_, g) => g).sort((a, b) => tie[a]! - tie[b]! || a - b);
  for (const g of order) {
    const key = `${row[g]}:${col[g]}`;
    const other = cells.get(key);
    if (other !== undefined) return [other, g];
    cells.set(key, g);
  }
  return null;
}

interface Packing {
  cols: number;
  rows: number;
  x: number[];
  y: number[];
}

/** Shelf-packs connected parts (in prompt order) into bands about sqrt(total cells) wide. */
function packComponents(G: number, comp: number[], row: number[], col: number[]): Packing {
  const comps = new Map<number, number[]>();
  for (let g = 0; g < G; g++) (comps.get(comp[g]!) ?? comps.set(comp[g]!, []).get(comp[g]!)!).push(g);
  const parts = [...comps.values()].map((members) => {
    const r0 = Math.min(...members.map((g) => row[g]!));
    const c0 = Math.min(...members.map((g) => col[g]!));
    const rows = Math.max(...members.map((g) => row[g]!)) - r0 + 1;
    const cols = Math.max(...members.map((g) => col[g]!)) - c0 + 1;
    return { members, r0, c0, rows, cols };
  });
  const cells = parts.reduce((s, p) => s + p.rows * p.cols, 0);
  const bandWidth = Math.max(Math.ceil(Math.sqrt(cells)), ...parts.map((p) => p.cols), 1);
  const bands: Array<{ parts: typeof parts; cols: number; rows: number }> = [];
  for (const p of parts) {
    const band = bands[bands.length - 1];
    if (band && band.cols + p.cols <= bandWidth) {
      band.parts.push(p);
      band.cols += p.cols;
      band.rows = Math.max(band.rows, p.rows);
    } else {
      bands.push({ parts: [p], cols: p.cols, rows: p.rows });
    }
  }
  const x = new Array<number>(G).fill(0);
  const y = new Array<number>(G).fill(0);
  let top = 0;
  for (const band of bands) {
    let left = (bandWidth - band.cols) / 2;
    for (const p of band.parts) {
      const dy = top + (band.rows - p.rows) / 2;
      for (const g of p.members) {
        x[g] = left + col[g]! - p.c0;
        y[g] = dy + row[g]! - p.r0;
      }
      left += p.cols;
    }
    top += band.rows;
  }
  return { cols: bandWidth, rows: Math.max(1, top), x, y };
}

function sub(r: Rect, x0: number, y0: number, x1: number, y1: number): Rect {
  return { x: r.x + r.w * x0, y: r.y + r.h * y0, w: r.w * (x1 - x0), h: r.h * (y1 - y0) };
}

/** Splits a rectangle into `k` equal side-by-side parts. */
function split(r: Rect, k: number): Rect[] {
  return Array.from({ length: k }, (_, i) => ({ x: r.x + (r.w * i) / k, y: r.y, w: r.w / k, h: r.h }));
}

/**
 * Draws one contact tree into `rect`: loads `on` it sit in a band directly above its box and
 * touch its top edge, things `under` it hang in a band directly below, contents sit inset in its
 * box, a thing in front is lower, larger and overlaps it partly, a thing behind is higher and
 * smaller.
 */
function drawGroup(node: number, rect: Rect, children: number[][], role: Array<Role | null>, out: Rect[]): void {
  const kids = (r: Role): number[] => children[node]!.filter((c) => role[c] === r);
  const on = kids('on');
  const under = kids('under');
  const inside = kids('inside');
  const front = kids('front');
  const behind = kids('behind');
  const band = on.length && under.length ? 0.3 : 0.42;
  const midTop = on.length ? band : 0;
  const midBottom = under.length ? 1 - band : 1;
  const mid = sub(rect, 0, midTop, 1, midBottom);
  let own = mid;
  if (front.length && behind.length) {
    own = sub(mid, 0.25, 0.25, 0.75, 0.7);
    split(sub(mid, 0.5, 0, 1, 0.4), behind.length).forEach((r, i) => drawGroup(behind[i]!, r, children, role, out));
    split(sub(mid, 0, 0.4, 0.65, 1), front.length).forEach((r, i) => drawGroup(front[i]!, r, children, role, out));
  } else if (front.length) {
    own = sub(mid, 0.35, 0, 1, 0.6);
    split(sub(mid, 0, 0.35, 0.75, 1), front.length).forEach((r, i) => drawGroup(front[i]!, r, children, role, out));
  } else if (behind.length) {
    own = sub(mid, 0, 0.3, 0.75, 1);
    split(sub(mid, 0.35, 0, 1, 0.55), behind.length).forEach((r, i) => drawGroup(behind[i]!, r, children, role, out));
  }
  if (!children[node]!.length && (role[node] === 'on' || role[node] === 'under' || role[node] === 'inside')) {
    // A lone load or content split off a band can get sliver-thin; keep it within 1:1.6, standing
    // on the band's floor so contact with a support is kept.
    const w = Math.min(own.w, own.h * 1.6);
    const h = Math.min(own.h, own.w * 1.6);
    own = { x: own.x + (own.w - w) / 2, y: own.y + own.h - h, w, h };
  }
  out[node] = own;
  if (inside.length) {
    split(sub(own, 0.2, 0.25, 0.8, 0.85), inside.length).forEach((r, i) => drawGroup(inside[i]!, sub(r, 0.05, 0, 0.95, 1), children, role, out));
  }
  if (on.length) {
    const bandRect = { x: own.x, y: rect.y, w: own.w, h: own.y - rect.y };
    // A load is a little narrower than its share of the support, so it reads as resting on it.
    split(bandRect, on.length).forEach((r, i) => drawGroup(on[i]!, sub(r, 0.12, 0, 0.88, 1), children, role, out));
  }
  if (under.length) {
    const bottom = own.y + own.h;
    const bandRect = { x: own.x, y: bottom, w: own.w, h: rect.y + rect.h - bottom };
    split(bandRect, under.length).forEach((r, i) => drawGroup(under[i]!, sub(r, 0.12, 0, 0.88, 1), children, role, out));
  }
}

/** Whole pixels, edges rounded (not sizes) so touching boxes keep touching; kept on the canvas. */
function roundRect(r: Rect, width: number, height: number): Box {
  const x0 = clamp(Math.round(r.x), 0, width - 1);
  const y0 = clamp(Math.round(r.y), 0, height - 1);
  const x1 = clamp(Math.round(r.x + r.w), x0 + 1, width);
  const y1 = clamp(Math.round(r.y + r.h), y0 + 1, height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

const area = (b: Box): number => b.w * b.h;
const overlapX = (a: Box, b: Box): number => Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
const contains = (outer: Box, inner: Box): boolean =>
  inner.x >= outer.x - EPS && inner.y >= outer.y - EPS && inner.x + inner.w <= outer.x + outer.w + EPS && inner.y + inner.h <= outer.y + outer.h + EPS;
const cx = (b: Box): number => b.x + b.w / 2;
const cy = (b: Box): number => b.y + b.h / 2;

interface RuleScores {
  visor: boolean | null;
  t2i: number | null;
  geneval: boolean | null;
}

function scoreRules(relation: RelationType, a: Box, b: Box): RuleScores {
  const rel = ruleRelation(relation);
  return { visor: visorRule(rel, a, b), t2i: t2iCompbenchPosition(rel, a, b), geneval: genevalRule(rel, a, b) };
}

function rulesPass(s: RuleScores): boolean {
  return s.visor !== false && s.geneval !== false && (s.t2i === null || s.t2i >= 1);
}

/** The planner's own reading of each relation word, on top of the benchmark rules. */
function geometryHolds(relation: RelationType, a: Box, b: Box, c: Box | undefined, width: number, height: number): boolean {
  switch (relation) {
    case 'on':
      return Math.abs(a.y + a.h - b.y) <= EPS && overlapX(a, b) > 0;
    case 'under':
      return a.y >= b.y + b.h - EPS && overlapX(a, b) > 0;
    case 'inside':
      return contains(b, a);
    case 'around':
      return contains(a, b);
    // Nearer the camera is lower in the picture (its base is closer to the viewer); the planner
    // also draws the front thing larger, but a cat in front of a house is rightly smaller.
    case 'in_front_of':
      return a.y + a.h > b.y + b.h;
    case 'behind':
      return a.y + a.h < b.y + b.h;
    case 'next_to':
    case 'near':
      return boxIou(a, b) < 0.5 && !contains(a, b) && !contains(b, a);
    case 'outside':
      return boxIou(a, b) < 0.1 && !contains(b, a);
    case 'far_from':
      return Math.hypot(cx(a) - cx(b), cy(a) - cy(b)) >= 0.3 * Math.max(width, height);
    case 'between':
      return c !== undefined && ((cx(b) < cx(a) && cx(a) < cx(c)) || (cx(c) < cx(a) && cx(a) < cx(b)));
    case 'larger_than':
      return area(a) > area(b);
    case 'smaller_than':
      return area(a) < area(b);
    default:
      return true;
  }
}

function checkRelation(r: PromptRelation, ri: number, tuples: number[][], boxes: LayoutBox[], width: number, height: number): LayoutCheck {
  const out: LayoutCheck = { relation: ri, visor: null, t2i: null, geneval: null, satisfied: tuples.length > 0 };
  if (!tuples.length) return out;
  const judge = (t: number[]): { scores: RuleScores; ok: boolean } => {
    const a: Box = boxes[t[0]!]!;
    const b: Box = boxes[t[1]!]!;
    const c: Box | undefined = t[2] === undefined ? undefined : boxes[t[2]];
    const scores = r.relation === 'between' ? { visor: null, t2i: null, geneval: null } : scoreRules(r.relation, a, b);
    return { scores, ok: rulesPass(scores) && geometryHolds(r.relation, a, b, c, width, height) };
  };
  let chosen: Array<{ scores: RuleScores; ok: boolean }>;
  if (EXISTENTIAL.has(r.relation)) {
    // Each subject instance needs one partner that works; report that partner's scores.
    const bySubject = new Map<number, Array<{ scores: RuleScores; ok: boolean }>>();
    for (const t of tuples) (bySubject.get(t[0]!) ?? bySubject.set(t[0]!, []).get(t[0]!)!).push(judge(t));
    chosen = [...bySubject.values()].map((js) => js.find((j) => j.ok) ?? js[0]!);
  } else {
    chosen = tuples.map(judge);
  }
  for (const { scores, ok } of chosen) {
    if (scores.visor !== null) out.visor = (out.visor ?? true) && scores.visor;
    if (scores.geneval !== null) out.geneval = (out.geneval ?? true) && scores.geneval;
    if (scores.t2i !== null) out.t2i = Math.min(out.t2i ?? 1, scores.t2i);
    out.satisfied &&= ok;
  }
  return out;
}

/** Words for where each object sits, from the centre of its instances' boxes (canvas thirds). */
function placementsOf(parsed: ParsedPrompt, boxes: LayoutBox[], width: number, height: number): Record<string, string> {
  // One pass over the boxes: the bounds of each object's instances.
  const bounds = new Map<string, [number, number, number, number]>();
  for (const b of boxes) {
    const r = bounds.get(b.objectId);
    if (!r) bounds.set(b.objectId, [b.x, b.y, b.x + b.w, b.y + b.h]);
    else {
      r[0] = Math.min(r[0], b.x);
      r[1] = Math.min(r[1], b.y);
      r[2] = Math.max(r[2], b.x + b.w);
      r[3] = Math.max(r[3], b.y + b.h);
    }
  }
  const out: Record<string, string> = {};
  for (const o of parsed.objects) {
    const r = bounds.get(o.id);
    if (!r) continue;
    // An object the prompt puts in the background is drawn higher and smaller, but it is in the
    // background, not "at the top": depth keeps its own words.
    const depth = depthOf(o);
    out[o.id] = depth ? `in the ${depth}` : placementWords((r[0] + r[2]) / 2 / width, (r[1] + r[3]) / 2 / height);
  }
  return out;
}

type Depth = 'foreground' | 'background';

/** The depth the prompt gives an object on its own ("in the background"), the last one stated. */
export function depthOf(o: PromptObject): Depth | null {
  const placements = o.placements ?? [];
  for (let k = placements.length - 1; k >= 0; k--) {
    const p = placements[k];
    if (p === 'foreground' || p === 'background') return p;
  }
  return null;
}

/**
 * Depth placements become contact links, the planner's model of depth: an object in the background
 * that no relation places is drawn behind the main object (the first one with no depth of its own),
 * one in the foreground in front of it. Objects that relations place keep their relations.
 */
function attachDepthPlacements(
  parsed: ParsedPrompt,
  active: Set<number>,
  byObject: Map<string, number[]>,
  parent: number[],
  role: Array<Role | null>,
  rootOf: (i: number) => number,
  isAncestor: (a: number, b: number) => boolean,
): void {
  const depths = parsed.objects.map(depthOf);
  if (depths.every((d) => d === null)) return;
  const related = new Set<string>();
  parsed.relations.forEach((r, ri) => {
    if (active.has(ri)) for (const id of [r.subject, r.object, r.object2]) if (id) related.add(id);
  });
  const firstRoot = (ok: (d: Depth | null) => boolean): number | undefined => {
    for (let k = 0; k < parsed.objects.length; k++) {
      const first = byObject.get(parsed.objects[k]!.id)?.[0];
      if (ok(depths[k]!) && first !== undefined) return rootOf(first);
    }
    return undefined;
  };
  const anchors: Record<Depth, number | undefined> = {
    background: firstRoot((d) => d === null) ?? firstRoot((d) => d === 'foreground'),
    foreground: firstRoot((d) => d === null),
  };
  parsed.objects.forEach((o, k) => {
    const depth = depths[k];
    if (!depth || related.has(o.id)) return;
    const anchor = anchors[depth];
    if (anchor === undefined) return;
    for (const i of byObject.get(o.id) ?? []) {
      if (parent[i] !== -1 || i === anchor || isAncestor(i, anchor)) continue;
      parent[i] = anchor;
      role[i] = depth === 'background' ? 'behind' : 'front';
    }
  });
}

/**
 * "Two chameleons above a waterfall", "a song book above the keys": a lone group related
 * vertically to a row of several groups is moved under (or over) the middle of that row, and the
 * rows are pulled apart when needed, so that every pair is more above than beside (T2I's
 * dominant-axis test, judged for every instance pair). Only groups that no left/right relation
 * places are moved; empty rows keep every vertical order.
 */
function centreOverRows(place: Packing, xEdges: Edge[], yEdges: Edge[], G: number, width: number, height: number): void {
  const fixedX = new Set(xEdges.filter((e) => e.relation >= 0).flatMap((e) => [e.from, e.to]));
  for (let g = 0; g < G; g++) {
    if (fixedX.has(g)) continue;
    const partners = [...new Set(yEdges.filter((e) => e.relation >= 0 && (e.from === g || e.to === g)).map((e) => (e.from === g ? e.to : e.from)))];
    if (partners.length < 2 || partners.some((h) => place.y[h] !== place.y[partners[0]!])) continue;
    const xs = partners.map((h) => place.x[h]!);
    const centre = (Math.min(...xs) + Math.max(...xs)) / 2;
    const rowOf = place.y[g]!;
    // Never onto another group of the same row.
    const crowded = Array.from({ length: G }, (_, h) => h).some((h) => h !== g && place.y[h] === rowOf && Math.abs(place.x[h]! - centre) < 1);
    if (crowded) continue;
    place.x[g] = centre;
    const reach = (Math.max(...xs) - Math.min(...xs)) / 2;
    const partnerRow = place.y[partners[0]!]!;
    const top = Math.min(rowOf, partnerRow);
    let gap = Math.abs(rowOf - partnerRow);
    for (let extra = 0; extra < 4; extra++) {
      if ((gap * height) / place.rows > ((reach * width) / place.cols) * 1.05) break;
      // An empty row between the two: everything below moves down one.
      for (let h = 0; h < G; h++) if (place.y[h]! > top) place.y[h]! += 1;
      place.rows += 1;
      gap += 1;
    }
  }
}

/** Per group, where the prompt puts it on each axis: 0 left/top, 1 center, 2 right/bottom, -1 nowhere. */
interface Targets {
  x: number[];
  y: number[];
}

function groupTargets(parsed: ParsedPrompt, instances: Instance[], G: number, groupOf: (i: number) => number): Targets {
  const x = new Array<number>(G).fill(-1);
  const y = new Array<number>(G).fill(-1);
  instances.forEach((inst, i) => {
    const g = groupOf(i);
    for (const p of parsed.objects[inst.object]!.placements ?? []) {
      const tx = p === 'left' ? 0 : p === 'center' ? 1 : p === 'right' ? 2 : -1;
      const ty = p === 'top' ? 0 : p === 'center' ? 1 : p === 'bottom' ? 2 : -1;
      if (tx !== -1 && x[g] === -1) x[g] = tx;
      if (ty !== -1 && y[g] === -1) y[g] = ty;
    }
  });
  return { x, y };
}

/** Layouts with more groups than this skip side ordering (it costs G^2 reachability tests). */
const MAX_SIDE_ORDERED_GROUPS = 32;

/**
 * Orders groups with a stated side against the others on one axis: left ones before everything
 * else, right ones after everything else. An order that would close a cycle with the stated
 * relations, or split what a relation keeps on one line, is skipped: relations win over sides.
 */
function orderBySide(edges: Edge[], target: number[], G: number, wishes: Array<[number, number]>): void {
  if (G > MAX_SIDE_ORDERED_GROUPS || target.every((t) => t === -1)) return;
  // Groups a relation wants on one line ("a dog left of a lamp" shares a row) stay together: the
  // order goes between those lines, never through one.
  const line = unionWhile(G, wishes, (cls) => acyclic(edges, cls));
  for (let a = 0; a < G; a++) {
    for (let b = 0; b < G; b++) {
      if (line[a] === line[b]) continue;
      const before = (target[a] === 0 && target[b] !== 0) || (target[b] === 2 && target[a] !== 2);
      if (!before) continue;
      const edge = { from: a, to: b, weight: 1, relation: -1 };
      if (acyclic([...edges, edge], line)) edges.push(edge);
    }
  }
}

/**
 * Adds empty columns or rows at the edges until each group with a stated side has its centre in
 * the right third of the canvas ("on the left" alone would otherwise sit in the middle).
 */
function padToTargets(place: Packing, targets: Targets): void {
  const axes = [
    { pos: place.x, target: targets.x, size: (): number => place.cols, grow: (): number => (place.cols += 1) },
    { pos: place.y, target: targets.y, size: (): number => place.rows, grow: (): number => (place.rows += 1) },
  ];
  for (const axis of axes) {
    for (let guard = 0; guard < 6; guard++) {
      let action: 'low' | 'high' | null = null;
      axis.target.forEach((t, g) => {
        if (t === -1 || action) return;
        const f = (axis.pos[g]! + 0.5) / axis.size();
        if ((t === 0 || t === 1) && f > (t === 0 ? 1 / 3 : 2 / 3)) action = 'high';
        else if ((t === 2 || t === 1) && f < (t === 2 ? 2 / 3 : 1 / 3)) action = 'low';
      });
      if (!action) break;
      // Room after everything moves a low target towards its edge; room before moves a high one.
      if (action === 'low') for (let g = 0; g < axis.pos.length; g++) axis.pos[g]! += 1;
      axis.grow();
    }
  }
}

/** "in the top left corner", "on the left side", "in the center"... for a relative position. */
export function placementWords(fx: number, fy: number): string {
  const h = fx < 1 / 3 ? 'left' : fx > 2 / 3 ? 'right' : 'center';
  const v = fy < 1 / 3 ? 'top' : fy > 2 / 3 ? 'bottom' : 'middle';
  if (h === 'center' && v === 'middle') return 'in the center';
  if (h === 'center') return `at the ${v}`;
  if (v === 'middle') return `on the ${h} side`;
  return `in the ${v} ${h} corner`;
}
