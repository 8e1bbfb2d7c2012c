/** Plain records the layout planner and the rewriter return (shared with the VS Code preview). */

/** One placed instance of a prompt object: a pixel box on the canvas (top-left origin, y down). */
export interface LayoutBox {
  /** The object id, plus `#k` (1-based) when the object has several counted instances. */
  id: string;
  /** The parser's object id this box is an instance of. */
  objectId: string;
  /** The object's singular head noun, used as the label. */
  noun: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * How the planned boxes score under the benchmarks' rules for one relation of the prompt.
 * `null` means the rule does not cover that relation. With counted objects every instance pair
 * has to pass (directional relations) or every subject instance needs one partner (contact and
 * proximity relations).
 */
export interface LayoutCheck {
  /** Index into `ParsedPrompt.relations`. */
  relation: number;
  /** VISOR's centroid rule. `on`/`under` are judged as above/below. */
  visor: boolean | null;
  /** T2I-CompBench's 2D position score, 0..1 (1 = full marks). */
  t2i: number | null;
  /** GenEval's margin rule. */
  geneval: boolean | null;
  /**
   * The planner's own geometric test of the relation (contact for `on`, containment for
   * `inside`, depth for `in_front_of`...) combined with every benchmark rule that covers it
   * (a T2I score below 1 fails it).
   */
  satisfied: boolean;
}

/** A planned layout: one box per counted instance and each relation's check. */
export interface Layout {
  width: number;
  height: number;
  boxes: LayoutBox[];
  checks: LayoutCheck[];
  /** Where each object ended up in words ("on the left side", "in the center"), by object id. */
  placements: Record<string, string>;
}

/** Result of `planLayout`: a layout, or the smallest sets of relations that cannot hold together. */
export type LayoutResult =
  | { ok: true; layout: Layout }
  | {
      ok: false;
      /** Each entry is a minimal set of clashing relation indices (into `ParsedPrompt.relations`). */
      conflicts: number[][];
      message: string;
    };

/** Options of `planLayout`. */
export interface LayoutOptions {
  /** Canvas width in pixels (default 768, SPRIGHT's SD 2.1 resolution). */
  width?: number;
  /** Canvas height in pixels (default 768). */
  height?: number;
  /** Orders objects that no relation orders; the same seed gives the same layout. */
  seed?: number;
}

/** Result of `rewritePrompt`. */
export interface RewriteResult {
  /** The SPRIGHT-style description. */
  text: string;
  /** The layout the description follows; null when the prompt names no object. */
  layout: Layout | null;
  /** What the rewrite changed or could not keep (dropped contradictions, capped counts). */
  notes: string[];
  /** Each minimal set of clashing relations (indices into `parsed.relations`) found while planning. */
  conflicts: number[][];
}

/** Options of `rewritePrompt`. */
export interface RewriteOptions {
  /** Picks among the phrasings; the same seed gives the same text. Default 0. */
  seed?: number;
  /** A layout planned earlier for the same prompt (skips planning again). */
  layout?: Layout;
  /** Canvas size for planning when no layout is given. */
  width?: number;
  height?: number;
}
