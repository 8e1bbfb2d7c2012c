/**
 * The benchmarks' per-relation spatial rules, reproduced from their own code (verbatim copies with
 * their commits in ../shared/data/benchmark-rules/; notes in ../shared/docs/spatial-benchmarks.md).
 * Every function takes A (the subject) and B (the reference object) as pixel boxes, top-left
 * origin, y down, and judges "A <relation> B".
 *
 * Our boxes are (x, y, w, h); the benchmarks compute on corners (xmin, ymin, xmax, ymax). Each rule
 * first takes corners with xmax = x + w and then does the reference's arithmetic in the
 * reference's order, so that the floating-point results agree and not just the formulas: a centre
 * computed as x + w / 2 differs from (xmin + xmax) / 2 in the last bit often enough to flip
 * near-ties. test/unit/evaluateConformance.test.ts replays the reference's own verdicts.
 */
import { boxIou, type Box } from '../protocol/geometry';
import type { RelationType } from '../parser/types';

export { boxIou };

/** A box by its corners, the form all three benchmarks' code works on. */
export interface Corners {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The corners of a box: (x, y) and (x + w, y + h). */
export function corners(b: Box): Corners {
  return { x1: b.x, y1: b.y, x2: b.x + b.w, y2: b.y + b.h };
}

/** Centre of a box from its corners, ((xmin + xmax) / 2, (ymin + ymax) / 2), as all three benchmarks compute it. */
export function boxCenter(b: Box): { x: number; y: number } {
  const c = corners(b);
  return { x: (c.x1 + c.x2) / 2, y: (c.y1 + c.y2) / 2 };
}

/** Relations VISOR scores (its SR2D set has exactly these four). */
export const VISOR_RELATIONS: readonly RelationType[] = ['left_of', 'right_of', 'above', 'below'];

/**
 * VISOR's centroid rule on one pair of boxes, strict.
 * Reference: visor_reference.py, `process_detection` (text2image_realtime_evaluate.ipynb):
 * xdist = centroid(A).x - centroid(B).x; left: xdist < 0, right: xdist > 0, above: ydist < 0,
 * below: ydist > 0. Returns null for relations VISOR does not score.
 */
export function visorRule(relation: RelationType, a: Box, b: Box): boolean | null {
  const ca = boxCenter(a);
  const cb = boxCenter(b);
  const xdist = ca.x - cb.x;
  const ydist = ca.y - cb.y;
  switch (relation) {
    case 'left_of':
      return xdist < 0;
    case 'right_of':
      return xdist > 0;
    case 'above':
      return ydist < 0;
    case 'below':
      return ydist > 0;
    default:
      return null;
  }
}

/**
 * VISOR's verdict over every detected box: the relation holds when AT LEAST ONE pair (a box of A,
 * a box of B) satisfies it. Reference: visor_reference.py, `process_detection`, which walks
 * `itertools.product(idx1, idx2)` and stops at the first pair that satisfies the relation.
 * Returns that first pair as positions in `as` and `bs`, or null when no pair does (or VISOR does
 * not score the relation).
 */
export function visorPair(relation: RelationType, as: readonly Box[], bs: readonly Box[]): [number, number] | null {
  if (!VISOR_RELATIONS.includes(relation)) return null;
  for (let i = 0; i < as.length; i++) {
    for (let j = 0; j < bs.length; j++) if (visorRule(relation, as[i], bs[j]) === true) return [i, j];
  }
  return null;
}

/** T2I-CompBench's thresholds from UniDet_eval/2D_spatial_eval.py (`determine_position` defaults). */
export const T2I_IOU_THRESHOLD = 0.1;
export const T2I_DISTANCE_THRESHOLD = 150;

/** T2I-CompBench 2D locality phrase for each relation type it covers. */
export const T2I_LOCALITY: Partial<Record<RelationType, string>> = {
  left_of: 'on the left of',
  right_of: 'on the right of',
  above: 'on the top of',
  below: 'on the bottom of',
  next_to: 'next to',
  near: 'near',
};

/**
 * T2I-CompBench's IoU of two boxes, computed from corners as `determine_position` does. Where the
 * reference divides 0 by 0 (two zero-area boxes) and raises ZeroDivisionError, this returns 0: a
 * deliberate, documented difference (two boxes with no area do not overlap).
 */
export function t2iCompbenchIou(a: Box, b: Box): number {
  const b1 = corners(a);
  const b2 = corners(b);
  const xOverlap = Math.max(0, Math.min(b1.x2, b2.x2) - Math.max(b1.x1, b2.x1));
  const yOverlap = Math.max(0, Math.min(b1.y2, b2.y2) - Math.max(b1.y1, b2.y1));
  const intersection = xOverlap * yOverlap;
  const area1 = (b1.x2 - b1.x1) * (b1.y2 - b1.y1);
  const area2 = (b2.x2 - b2.x1) * (b2.y2 - b2.y1);
  const union = area1 + area2 - intersection;
  return union === 0 ? 0 : intersection / union;
}

/**
 * T2I-CompBench's 2D position score of "A relation B" (0..1). Reference: t2i_compbench_reference.py,
 * `determine_position`: dx = centre(B).x - centre(A).x (so dx > 0 means B lies right of A); the
 * directional relations need the right sign on the dominant axis, then score 1 when IoU < 0.1 and
 * 0.1/IoU otherwise; next_to/near use the 150 px distance rule. Returns null for relations its 2D
 * script does not cover. Zero-area pairs: see {@link t2iCompbenchIou}.
 */
export function t2iCompbenchPosition(relation: RelationType, a: Box, b: Box): number | null {
  const ca = boxCenter(a);
  const cb = boxCenter(b);
  const dx = cb.x - ca.x;
  const dy = cb.y - ca.y;
  const adx = Math.abs(dx);
  const ady = Math.abs(dy);
  const overlapScore = (): number => {
    const iou = t2iCompbenchIou(a, b);
    return iou < T2I_IOU_THRESHOLD ? 1 : T2I_IOU_THRESHOLD / iou;
  };
  switch (relation) {
    case 'next_to':
    case 'near':
      if (adx < T2I_DISTANCE_THRESHOLD || ady < T2I_DISTANCE_THRESHOLD) return 1;
      return T2I_DISTANCE_THRESHOLD / Math.max(adx, ady);
    case 'left_of':
      return dx > 0 && adx > ady ? overlapScore() : 0;
    case 'right_of':
      return dx < 0 && adx > ady ? overlapScore() : 0;
    case 'above':
      return dy > 0 && ady > adx ? overlapScore() : 0;
    case 'below':
      return dy < 0 && ady > adx ? overlapScore() : 0;
    default:
      return null;
  }
}

/**
 * T2I-CompBench's image score. Reference: t2i_compbench_reference.py, `image_score` (main() of
 * 2D_spatial_eval.py): 0.25*confA + 0.25*confB + position/2 when both are found, 0.25*conf when
 * one is, 0 when none; any total below 0.5 becomes 0. Pass null for a missing object, and a null
 * position for a relation the script does not cover (it scores those 0).
 */
export function t2iCompbenchImageScore(confA: number | null, confB: number | null, position: number | null): number {
  let score: number;
  if (confA !== null && confB !== null) score = 0.25 * confA + 0.25 * confB + (position ?? 0) / 2;
  else if (confA !== null) score = 0.25 * confA;
  else if (confB !== null) score = 0.25 * confB;
  else score = 0;
  return score < 0.5 ? 0 : score;
}

/** GenEval's margin (`POSITION_THRESHOLD`, its CLI default `--position-threshold 0.1`). */
export const GENEVAL_POSITION_THRESHOLD = 0.1;
/** GenEval keeps at most this many detections per class (`MAX_OBJECTS`). */
export const GENEVAL_MAX_OBJECTS = 16;

/**
 * GenEval's relative position of A to B. Reference: geneval_reference.py, `relative_position`:
 * centres and sizes from corners, offset = centre(A) - centre(B), each axis shrunk by 0.1 x the
 * sum of the two sizes on it, divided by the length of the raw offset; a component beyond ±0.5
 * names the relation. Returns the set of relations that hold (empty when too close to tell).
 */
export function genevalRelations(a: Box, b: Box): Set<RelationType> {
  const ca = boxCenter(a);
  const cb = boxCenter(b);
  const ka = corners(a);
  const kb = corners(b);
  // np.abs(np.diff(boxes, axis=-2)): the size on each axis from the corners, not the stored w/h.
  const dimAx = Math.abs(ka.x2 - ka.x1);
  const dimAy = Math.abs(ka.y2 - ka.y1);
  const dimBx = Math.abs(kb.x2 - kb.x1);
  const dimBy = Math.abs(kb.y2 - kb.y1);
  const ox = ca.x - cb.x;
  const oy = ca.y - cb.y;
  const rx = Math.max(Math.abs(ox) - GENEVAL_POSITION_THRESHOLD * (dimAx + dimBx), 0) * Math.sign(ox);
  const ry = Math.max(Math.abs(oy) - GENEVAL_POSITION_THRESHOLD * (dimAy + dimBy), 0) * Math.sign(oy);
  const out = new Set<RelationType>();
  if (Math.abs(rx) < 1e-3 && Math.abs(ry) < 1e-3) return out;
  // np.linalg.norm of a 2-vector is sqrt(x.dot(x)), and BLAS's dot on any x86-64 CPU since 2013
  // fuses the second multiply-add: fma(oy, oy, ox*ox). That is 1 ulp off the plain sum now and
  // then, which only matters when a component lands on ±0.5; there the fused sum is recomputed.
  let norm = Math.sqrt(ox * ox + oy * oy);
  if (nearHalf(rx / norm) || nearHalf(ry / norm)) norm = Math.sqrt(fusedSquareSum(ox, oy));
  const dx = rx / norm;
  const dy = ry / norm;
  if (dx < -0.5) out.add('left_of');
  if (dx > 0.5) out.add('right_of');
  if (dy < -0.5) out.add('above');
  if (dy > 0.5) out.add('below');
  return out;
}

/** Whether |v| is within a few ulps of 0.5, where a 1-ulp difference in the norm can flip a verdict. */
function nearHalf(v: number): boolean {
  return Math.abs(Math.abs(v) - 0.5) < 1e-12;
}

const f64 = new DataView(new ArrayBuffer(8));

/** v = m * 2^e with m an integer (exact; v finite). */
function decompose(v: number): [bigint, number] {
  f64.setFloat64(0, Math.abs(v));
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const exp = hi >>> 20;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return exp === 0 ? [frac, -1074] : [frac | (1n << 52n), exp - 1075];
}

/**
 * x*x + y*y as a fused multiply-add computes it: x*x rounded, then y*y added exactly and the sum
 * rounded once (to nearest, ties to even, as BigInt -> Number converts).
 */
function fusedSquareSum(x: number, y: number): number {
  const [mp, ep] = decompose(x * x);
  const [my, ey] = decompose(y);
  const eq = 2 * ey;
  const e = Math.min(ep, eq);
  // Far below any pixel offset; the plain sum is as good there.
  if (e < -1000) return x * x + y * y;
  const m = (mp << BigInt(ep - e)) + ((my * my) << BigInt(eq - e));
  return Number(m) * 2 ** e;
}

/** GenEval's position rule for "A relation B" on one pair; null for relations GenEval does not score. */
export function genevalRule(relation: RelationType, a: Box, b: Box): boolean | null {
  if (!VISOR_RELATIONS.includes(relation)) return null;
  return genevalRelations(a, b).has(relation);
}

/**
 * GenEval's order of one class's detections. Reference: geneval_reference.py, `keep_boxes`:
 * `np.argsort(score)[::-1]`, so of two equal scores the later one comes first; then the
 * (strict) threshold and at most {@link GENEVAL_MAX_OBJECTS}. Here the threshold is applied by the
 * caller; this returns positions in `scores`, best first.
 *
 * numpy's portable argsort is an insertion sort up to 16 elements, hence stable, and reversing a
 * stable ascending order is exactly this order. Builds of numpy that dispatch to SIMD sorts
 * (x86-simd-sort, AVX2/AVX-512) are not stable from 4 equal scores on, so the reference itself gives
 * a CPU-dependent order there; the conformance fixtures are made with the portable sort.
 */
export function genevalOrder(scores: readonly number[]): number[] {
  const ascending = scores.map((_, i) => i).sort((i, j) => scores[i] - scores[j] || i - j);
  return ascending.reverse().slice(0, GENEVAL_MAX_OBJECTS);
}

/**
 * GenEval's position check for one relation: every one of the top `countA` boxes of A against
 * every one of the top `countB` of B must show the relation. Reference: geneval_reference.py,
 * `evaluate` (the loop over `found_objects` and `matched_groups[target_group]`, which stops at the
 * first pair that fails). Returns the failing pair as positions in `as`/`bs`, or null when all hold.
 */
export function genevalFailingPair(
  relation: RelationType,
  as: readonly Box[],
  bs: readonly Box[],
): [number, number] | null {
  for (let i = 0; i < as.length; i++) {
    for (let j = 0; j < bs.length; j++) if (genevalRule(relation, as[i], bs[j]) !== true) return [i, j];
  }
  return null;
}
