/** Per-image evaluation and the benchmarks' aggregates, as pure functions over plain records. */
import type { Detection } from '../protocol/geometry';
import type { ParsedPrompt, RelationType } from '../parser/types';
import {
  genevalFailingPair,
  genevalOrder,
  t2iCompbenchImageScore,
  t2iCompbenchPosition,
  visorPair,
  VISOR_RELATIONS,
} from './rules';
import type {
  EvalPrompt,
  EvaluateOptions,
  EvaluatedImage,
  EvaluationSummary,
  ImageEvaluation,
  ObjectEvaluation,
  RelationEvaluation,
  RelationTypeSummary,
} from './types';

// T2I-CompBench maps these words to UniDet's "person" before matching.
const PERSON_WORDS = new Set(['girl', 'boy', 'man', 'woman', 'person']);

/** The default noun -> label mapping: lower case, T2I-CompBench's person words. */
export function defaultLabelFor(noun: string): string {
  const n = noun.trim().toLowerCase();
  return PERSON_WORDS.has(n) ? 'person' : n;
}

/** Turns the parser's record into the evaluation's prompt (relations with `object2` are dropped). */
export function promptFromParsed(id: string, parsed: ParsedPrompt): EvalPrompt {
  return {
    id,
    text: parsed.text,
    objects: parsed.objects.map((o) => ({ id: o.id, noun: o.noun, count: o.count })),
    // "between" needs three boxes and no benchmark scores it; it stays out of evaluation.
    relations: parsed.relations
      .filter((r) => r.object2 === undefined)
      .map((r) => ({ subject: r.subject, relation: r.relation, object: r.object })),
  };
}

/** Whether the prompt is VISOR's kind: two objects, one relation between them that VISOR scores. */
function singleRelation(prompt: EvalPrompt, covered: (r: RelationType) => boolean): boolean {
  if (prompt.objects.length !== 2 || prompt.relations.length !== 1) return false;
  const r = prompt.relations[0];
  return r.subject !== r.object && covered(r.relation);
}

const isVisorRelation = (r: RelationType): boolean => VISOR_RELATIONS.includes(r);
const isT2iRelation = (r: RelationType): boolean => isVisorRelation(r) || r === 'next_to' || r === 'near';

/** Judges one image (its detections) against one prompt by all three benchmarks' rules. */
export function evaluateImage(
  prompt: EvalPrompt,
  detections: readonly Detection[],
  options: EvaluateOptions = {},
): ImageEvaluation {
  const labelFor = options.labelFor ?? defaultLabelFor;
  const threshold = options.threshold ?? 0;

  // Each object's boxes stay in the detector's order (positions in `detections`): T2I-CompBench
  // takes the first box of a class in that order, VISOR walks them in it.
  const objects: ObjectEvaluation[] = prompt.objects.map((o) => {
    const label = labelFor(o.noun);
    const indices: number[] = [];
    if (label !== null) {
      // Strict, as VISOR (`score > 0.1`) and GenEval (`score > 0.3`) filter.
      detections.forEach((d, i) => {
        if (d.label === label && d.score > threshold) indices.push(i);
      });
    }
    return { id: o.id, noun: o.noun, label, indices, detections: indices.map((i) => detections[i]) };
  });
  const byId = new Map(objects.map((o) => [o.id, o]));
  const countOf = new Map(prompt.objects.map((o) => [o.id, o.count ?? 1]));
  const unknownNouns = objects.filter((o) => o.label === null).map((o) => o.noun);
  // GenEval's per-class order (argsort of the scores, reversed; at most 16), as detection positions.
  const genevalRanked = new Map<string, number[]>();
  const ranked = (o: ObjectEvaluation): number[] => {
    let r = genevalRanked.get(o.id);
    if (!r) genevalRanked.set(o.id, (r = genevalOrder(o.detections.map((d) => d.score)).map((k) => o.indices[k])));
    return r;
  };

  const relations: RelationEvaluation[] = prompt.relations.map((r) => {
    const s = byId.get(r.subject);
    const o = byId.get(r.object);
    if (!s || !o)
      throw new Error(`prompt ${prompt.id}: relation refers to unknown object ${!s ? r.subject : r.object}`);
    const bothFound = s.indices.length > 0 && o.indices.length > 0;
    const pairs: RelationEvaluation['pairs'] = { visor: null, t2iCompbench: null, geneval: null };
    let visor: boolean | null = null;
    let t2iCompbench: number | null = null;
    let geneval: boolean | null = null;
    if (bothFound) {
      if (isVisorRelation(r.relation)) {
        const hit = visorPair(r.relation, s.detections, o.detections);
        visor = hit !== null;
        if (hit) pairs.visor = [s.indices[hit[0]], o.indices[hit[1]]];
      }
      t2iCompbench = t2iCompbenchPosition(r.relation, s.detections[0], o.detections[0]);
      if (t2iCompbench !== null) pairs.t2iCompbench = [s.indices[0], o.indices[0]];
      if (isVisorRelation(r.relation)) {
        const as = ranked(s).slice(0, Math.max(1, countOf.get(s.id) ?? 1));
        const bs = ranked(o).slice(0, Math.max(1, countOf.get(o.id) ?? 1));
        const fail = genevalFailingPair(
          r.relation,
          as.map((i) => detections[i]),
          bs.map((i) => detections[i]),
        );
        geneval = fail === null;
        pairs.geneval = fail ? [as[fail[0]], bs[fail[1]]] : [as[0], bs[0]];
      }
    }
    let status: RelationEvaluation['status'];
    if (!isT2iRelation(r.relation)) status = 'unscored';
    else if (!bothFound) status = 'unknown';
    else status = (visor ?? (t2iCompbench ?? 0) >= 1) ? 'satisfied' : 'violated';
    return { ...r, status, bothFound, visor, t2iCompbench, geneval, pairs };
  });

  const anyUnknown = (ids: string[]): boolean => ids.some((id) => byId.get(id)?.label === null);
  const rel0 = relations[0];

  // Unknown nouns put an image outside a benchmark: the detector could never have found them.
  let visor: ImageEvaluation['visor'] = null;
  if (singleRelation(prompt, isVisorRelation) && !anyUnknown([rel0.subject, rel0.object])) {
    visor = { bothDetected: rel0.bothFound, correct: rel0.bothFound && rel0.visor === true };
  }

  let t2iCompbench: ImageEvaluation['t2iCompbench'] = null;
  if (singleRelation(prompt, isT2iRelation) && !anyUnknown([rel0.subject, rel0.object])) {
    const first = (id: string): number | null => byId.get(id)?.detections[0]?.score ?? null;
    t2iCompbench = { score: t2iCompbenchImageScore(first(rel0.subject), first(rel0.object), rel0.t2iCompbench) };
  }

  let geneval: ImageEvaluation['geneval'] = null;
  const genevalScope = prompt.relations.length > 0 && prompt.relations.every((r) => isVisorRelation(r.relation));
  if (genevalScope && unknownNouns.length === 0) {
    // geneval_reference.py `evaluate`: every object needs `count` boxes among its top 16, and
    // every relation's counted pairs must hold.
    const counted = objects.every((o) => ranked(o).length >= (countOf.get(o.id) ?? 1));
    geneval = { correct: counted && relations.every((r) => r.geneval === true) };
  }

  return { objects, relations, unknownNouns, visor, t2iCompbench, geneval };
}

const pct = (n: number, d: number): number | null => (d > 0 ? (100 * n) / d : null);

interface RelationTally {
  n: number;
  det: number;
  v: number;
  vN: number;
  t: number;
  tN: number;
  g: number;
  gN: number;
}

/**
 * The benchmarks' aggregates, fed one evaluated image at a time so that a stream of any length
 * aggregates in memory bounded by the number of prompts (VISOR_n needs one count per prompt),
 * never by the images. Formulas and order of operations follow the references:
 * - VISOR (visor_reference.py, `get_visor_spatial` and the table code of visor.py): OA =
 *   100*both/images, cond = 100*correct/both, uncond = 0.01*(cond*OA), VISOR_n = 100 x prompts
 *   with at least n correct images / prompts with images. Where the reference divides by zero
 *   (no image with both objects) cond is null and uncond 0.
 * - T2I-CompBench (main() of 2D_spatial_eval.py): the sum of the image scores in order, divided by
 *   their number.
 * - GenEval (summary_scores.py): the mean of the `correct` column, correct / images.
 */
export class Aggregator {
  #vImages = 0;
  #vDetected = 0;
  #vCorrect = 0;
  readonly #correctPerPrompt = new Map<string, number>();
  #tImages = 0;
  #tSum = 0;
  #gImages = 0;
  #gCorrect = 0;
  readonly #perType = new Map<RelationType, RelationTally>();

  /** Counts one image judged against prompt `promptId`. */
  add(promptId: string, e: ImageEvaluation): void {
    if (e.visor) {
      this.#vImages++;
      if (e.visor.bothDetected) this.#vDetected++;
      if (e.visor.correct) this.#vCorrect++;
      this.#correctPerPrompt.set(promptId, (this.#correctPerPrompt.get(promptId) ?? 0) + (e.visor.correct ? 1 : 0));
    }
    if (e.t2iCompbench) {
      this.#tImages++;
      this.#tSum += e.t2iCompbench.score;
    }
    if (e.geneval) {
      this.#gImages++;
      if (e.geneval.correct) this.#gCorrect++;
    }
    for (const r of e.relations) {
      // Relations with a noun the detector cannot know say nothing about the image.
      if (e.objects.some((o) => (o.id === r.subject || o.id === r.object) && o.label === null)) continue;
      let t = this.#perType.get(r.relation);
      if (!t) this.#perType.set(r.relation, (t = { n: 0, det: 0, v: 0, vN: 0, t: 0, tN: 0, g: 0, gN: 0 }));
      t.n++;
      if (r.bothFound) t.det++;
      if (isVisorRelation(r.relation)) {
        t.vN++;
        t.gN++;
        if (r.visor === true) t.v++;
        if (r.geneval === true) t.g++;
      }
      if (isT2iRelation(r.relation)) {
        t.tN++;
        t.t += r.t2iCompbench ?? 0;
      }
    }
  }

  /** The aggregates of every image added so far. */
  summary(): EvaluationSummary {
    const prompts = this.#correctPerPrompt.size;
    const atLeast = (n: number): number | null => {
      let k = 0;
      for (const c of this.#correctPerPrompt.values()) if (c >= n) k++;
      return pct(k, prompts);
    };
    const per_relation: EvaluationSummary['per_relation'] = {};
    for (const [type, t] of this.#perType) {
      const row: RelationTypeSummary = {
        relations: t.n,
        detected: t.det,
        visor: pct(t.v, t.vN),
        t2iCompbench: t.tN > 0 ? t.t / t.tN : null,
        geneval: pct(t.g, t.gN),
      };
      per_relation[type] = row;
    }
    const oa = pct(this.#vDetected, this.#vImages);
    const cond = pct(this.#vCorrect, this.#vDetected);
    // visor.py prints 0.01 * (visor_cond * objacc[2]); computed the same way for identical digits.
    const uncond = this.#vImages === 0 ? null : cond === null || oa === null ? 0 : 0.01 * (cond * oa);
    return {
      visor: {
        oa,
        cond,
        uncond,
        visor_1: atLeast(1),
        visor_2: atLeast(2),
        visor_3: atLeast(3),
        visor_4: atLeast(4),
        images: this.#vImages,
        prompts,
      },
      t2i_compbench: { score: this.#tImages > 0 ? this.#tSum / this.#tImages : null, images: this.#tImages },
      geneval: { score: this.#gImages > 0 ? this.#gCorrect / this.#gImages : null, images: this.#gImages },
      per_relation,
    };
  }
}

/** The benchmarks' aggregates over a set of evaluated images (see {@link Aggregator}). */
export function aggregate(images: Iterable<EvaluatedImage>): EvaluationSummary {
  const agg = new Aggregator();
  for (const { promptId, evaluation } of images) agg.add(promptId, evaluation);
  return agg.summary();
}
