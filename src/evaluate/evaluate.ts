/** Per-image evaluation and the benchmarks' aggregates, as pure functions over plain records. */
import type { Detection } from '../protocol/geometry';
import type { ParsedPrompt, RelationType } from '../parser/types';
import { genevalRelations, t2iCompbenchImageScore, t2iCompbenchPosition, visorRule, VISOR_RELATIONS } from './rules';
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
export function evaluateImage(prompt: EvalPrompt, detections: readonly Detection[], options: EvaluateOptions = {}): ImageEvaluation {
  const labelFor = options.labelFor ?? defaultLabelFor;
  const threshold = options.threshold ?? 0;
  const kept = detections.filter((d) => d.score >= threshold).sort((a, b) => b.score - a.score);

  const objects: ObjectEvaluation[] = prompt.objects.map((o) => {
    const label = labelFor(o.noun);
    return { id: o.id, noun: o.noun, label, detections: label === null ? [] : kept.filter((d) => d.label === label) };
  });
  const byId = new Map(objects.map((o) => [o.id, o]));
  const unknownNouns = objects.filter((o) => o.label === null).map((o) => o.noun);

  const relations: RelationEvaluation[] = prompt.relations.map((r) => {
    const s = byId.get(r.subject);
    const o = byId.get(r.object);
    if (!s || !o) throw new Error(`prompt ${prompt.id}: relation refers to unknown object ${!s ? r.subject : r.object}`);
    const a = s.detections[0] ?? null;
    const b = o.detections[0] ?? null;
    const both = a !== null && b !== null;
    const visor = both ? visorRule(r.relation, a, b) : null;
    const t2iCompbench = both ? t2iCompbenchPosition(r.relation, a, b) : null;
    const geneval = both ? genevalPairs(r.relation, s, o, prompt) : null;
    const covered = isT2iRelation(r.relation);
    let status: RelationEvaluation['status'];
    if (!covered) status = 'unscored';
    else if (!both) status = 'unknown';
    // The panel's mark follows VISOR's rule where it applies, T2I's distance rule otherwise.
    else status = (visor ?? (t2iCompbench ?? 0) >= 1) ? 'satisfied' : 'violated';
    return { ...r, status, subjectBox: a, objectBox: b, visor, t2iCompbench, geneval };
  });

  const anyUnknown = (ids: string[]): boolean => ids.some((id) => byId.get(id)?.label === null);
  const rel0 = relations[0];

  // Unknown nouns put an image outside a benchmark: the detector could never have found them.
  let visor: ImageEvaluation['visor'] = null;
  if (singleRelation(prompt, isVisorRelation) && !anyUnknown([rel0.subject, rel0.object])) {
    const bothDetected = rel0.subjectBox !== null && rel0.objectBox !== null;
    visor = { bothDetected, correct: bothDetected && rel0.visor === true };
  }

  let t2iCompbench: ImageEvaluation['t2iCompbench'] = null;
  if (singleRelation(prompt, isT2iRelation) && !anyUnknown([rel0.subject, rel0.object])) {
    t2iCompbench = {
      score: t2iCompbenchImageScore(rel0.subjectBox?.score ?? null, rel0.objectBox?.score ?? null, rel0.t2iCompbench),
    };
  }

  let geneval: ImageEvaluation['geneval'] = null;
  const genevalScope = prompt.relations.length > 0 && prompt.relations.every((r) => isVisorRelation(r.relation));
  if (genevalScope && unknownNouns.length === 0) {
    const counted = objects.every((o, i) => o.detections.length >= (prompt.objects[i].count ?? 1));
    geneval = { correct: counted && relations.every((r) => r.geneval === true) };
  }

  return { objects, relations, unknownNouns, visor, t2iCompbench, geneval };
}

/**
 * GenEval's position check: the top `count` detections of A each against the top `count`
 * detections of B; every pair must show the relation.
 */
function genevalPairs(relation: RelationType, s: ObjectEvaluation, o: ObjectEvaluation, prompt: EvalPrompt): boolean | null {
  if (!isVisorRelation(relation)) return null;
  const countOf = (id: string): number => prompt.objects.find((x) => x.id === id)?.count ?? 1;
  const as = s.detections.slice(0, Math.max(1, countOf(s.id)));
  const bs = o.detections.slice(0, Math.max(1, countOf(o.id)));
  return as.every((a) => bs.every((b) => genevalRelations(a, b).has(relation)));
}

const pct = (n: number, d: number): number | null => (d > 0 ? (100 * n) / d : null);

/**
 * The benchmarks' aggregates over a set of evaluated images. VISOR: OA, cond, uncond over its
 * in-scope images and VISOR_n = % of prompts with at least n correct images; T2I-CompBench: mean
 * image score; GenEval: fraction of images correct. Per relation type: accuracy by each rule.
 */
export function aggregate(images: readonly EvaluatedImage[]): EvaluationSummary {
  let vImages = 0;
  let vDetected = 0;
  let vCorrect = 0;
  const correctPerPrompt = new Map<string, number>();
  let tImages = 0;
  let tSum = 0;
  let gImages = 0;
  let gCorrect = 0;
  const perType = new Map<RelationType, { n: number; det: number; v: number; vN: number; t: number; tN: number; g: number; gN: number }>();

  for (const { promptId, evaluation: e } of images) {
    if (e.visor) {
      vImages++;
      if (e.visor.bothDetected) vDetected++;
      if (e.visor.correct) vCorrect++;
      correctPerPrompt.set(promptId, (correctPerPrompt.get(promptId) ?? 0) + (e.visor.correct ? 1 : 0));
    }
    if (e.t2iCompbench) {
      tImages++;
      tSum += e.t2iCompbench.score;
    }
    if (e.geneval) {
      gImages++;
      if (e.geneval.correct) gCorrect++;
    }
    for (const r of e.relations) {
      // Relations with a noun the detector cannot know say nothing about the image.
      if (e.objects.some((o) => (o.id === r.subject || o.id === r.object) && o.label === null)) continue;
      let t = perType.get(r.relation);
      if (!t) perType.set(r.relation, (t = { n: 0, det: 0, v: 0, vN: 0, t: 0, tN: 0, g: 0, gN: 0 }));
      t.n++;
      const both = r.subjectBox !== null && r.objectBox !== null;
      if (both) t.det++;
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

  const prompts = correctPerPrompt.size;
  const atLeast = (n: number): number | null =>
    pct([...correctPerPrompt.values()].filter((c) => c >= n).length, prompts);
  const per_relation: EvaluationSummary['per_relation'] = {};
  for (const [type, t] of perType) {
    const row: RelationTypeSummary = {
      relations: t.n,
      detected: t.det,
      visor: pct(t.v, t.vN),
      t2iCompbench: t.tN > 0 ? t.t / t.tN : null,
      geneval: pct(t.g, t.gN),
    };
    per_relation[type] = row;
  }
  return {
    visor: {
      oa: pct(vDetected, vImages),
      cond: pct(vCorrect, vDetected),
      uncond: pct(vCorrect, vImages),
      visor_1: atLeast(1),
      visor_2: atLeast(2),
      visor_3: atLeast(3),
      visor_4: atLeast(4),
      images: vImages,
      prompts,
    },
    t2i_compbench: { score: tImages > 0 ? tSum / tImages : null, images: tImages },
    geneval: { score: gImages > 0 ? gCorrect / gImages : null, images: gImages },
    per_relation,
  };
}
