/**
 * The benchmarks' per-relation spatial rules, re-implemented from their reference scripts
 * (see ../shared/docs/spatial-benchmarks.md). Every function takes A (the subject) and B (the
 * reference object) as pixel boxes, top-left origin, y down, and judges "A <relation> B".
 */
import { boxCenter, boxIou, type Box } from '../protocol/geometry';
import type { RelationType } from '../parser/types';

export { boxCenter, boxIou };

/** Relations VISOR scores (its SR2D set has exactly these four). */
export const VISOR_RELATIONS: readonly RelationType[] = ['left_of', 'right_of', 'above', 'below'];

/**
 * VISOR's centroid rule: strict comparison of the two box centres.
 * Returns null for relations VISOR does not score.
 */
export function visorRule(relation: RelationType, a: Box, b: Box): boolean | null {
  const ca = boxCenter(a);
  const cb = boxCenter(b);
  switch (relation) {
    case 'left_of':
      return ca.x < cb.x;
    case 'right_of':
      return ca.x > cb.x;
    case 'above':
      return ca.y < cb.y;
    case 'below':
      return ca.y > cb.y;
    default:
      return null;
  }
}

/** T2I-CompBench's thresholds from UniDet_eval/2D_spatial_eval.py. */
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
 * T2I-CompBench's 2D position score of "A relation B" (0..1): the directional relations need the
 * right sign on the dominant axis, then score 1 when the boxes barely overlap (IoU < 0.1) and
 * 0.1/IoU otherwise; next_to/near (and upstream's "on side of") use the 150 px distance rule.
 * Returns null for relations T2I-CompBench's 2D script does not cover.
 */
export function t2iCompbenchPosition(relation: RelationType, a: Box, b: Box): number | null {
  const ca = boxCenter(a);
  const cb = boxCenter(b);
  // Upstream measures from A to B: dx > 0 means B lies to the right of A.
  const dx = cb.x - ca.x;
  const dy = cb.y - ca.y;
  const adx = Math.abs(dx);
  const ady = Math.abs(dy);
  const overlapScore = (): number => {
    const iou = boxIou(a, b);
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
 * T2I-CompBench's image score: 0.25*confA + 0.25*confB + 0.5*position, where a missing object
 * contributes nothing (pass null) and the position term needs both; any total below 0.5 becomes 0.
 */
export function t2iCompbenchImageScore(confA: number | null, confB: number | null, position: number | null): number {
  let score = 0;
  if (confA !== null) score += 0.25 * confA;
  if (confB !== null) score += 0.25 * confB;
  if (confA !== null && confB !== null && position !== null) score += 0.5 * position;
  return score < 0.5 ? 0 : score;
}

/** GenEval's margin: each axis offset shrinks by 0.1 x the sum of the two boxes' sizes on it. */
export const GENEVAL_POSITION_THRESHOLD = 0.1;

/**
 * GenEval's relative position of A to B: the centre offset on each axis, shrunk by the margin,
 * divided by the length of the raw offset; a component beyond ±0.5 names the relation.
 * Returns the set of relations that hold (empty when A and B are too close to tell).
 */
export function genevalRelations(a: Box, b: Box): Set<RelationType> {
  const ca = boxCenter(a);
  const cb = boxCenter(b);
  const ox = ca.x - cb.x;
  const oy = ca.y - cb.y;
  const rx = Math.max(Math.abs(ox) - GENEVAL_POSITION_THRESHOLD * (a.w + b.w), 0) * Math.sign(ox);
  const ry = Math.max(Math.abs(oy) - GENEVAL_POSITION_THRESHOLD * (a.h + b.h), 0) * Math.sign(oy);
  const out = new Set<RelationType>();
  // Upstream treats |revised| < 1e-3 on both axes as "no relation".
  if (Math.abs(rx) < 1e-3 && Math.abs(ry) < 1e-3) return out;
  const norm = Math.hypot(ox, oy);
  const dx = rx / norm;
  const dy = ry / norm;
  if (dx < -0.5) out.add('left_of');
  if (dx > 0.5) out.add('right_of');
  if (dy < -0.5) out.add('above');
  if (dy > 0.5) out.add('below');
  return out;
}

/** GenEval's position rule for "A relation B"; null for relations GenEval does not score. */
export function genevalRule(relation: RelationType, a: Box, b: Box): boolean | null {
  if (!VISOR_RELATIONS.includes(relation)) return null;
  return genevalRelations(a, b).has(relation);
}
