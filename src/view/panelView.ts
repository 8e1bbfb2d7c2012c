/**
 * Core records -> the preview panel's view records (src/protocol/messages.ts): the host computes
 * every verdict here, the webview only draws them.
 */
import type { Detection } from '../protocol/geometry';
import type { DetectionState, DetectionView, LayoutView, ObjectView, PromptView, RelationStatus, RelationView, RuleCheck, RuleName } from '../protocol/messages';
import { nounsOf, relationLabel } from '../parser/labels';
import type { ParsedPrompt, PromptRelation } from '../parser/types';
import type { LayoutCheck, LayoutResult } from '../generator/types';
import type { ImageEvaluation, RelationEvaluation } from '../evaluate/types';

/**
 * A T2I-CompBench position score counts as satisfied from this value: upstream gives 1 to a
 * well-separated pair in the right direction and 0.1/IoU to overlapping ones, so 0.5 means "right
 * direction, overlap at most IoU 0.2".
 */
export const T2I_SATISFIED_FROM = 0.5;

const RULE_ORDER: readonly RuleName[] = ['visor', 't2i-compbench', 'geneval'];


/** A stable key for a prompt: document, line and a short hash of the text. */
export function promptKey(uri: string, line: number, text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${uri}#${line}#${h.toString(16)}`;
}

function boolCheck(rule: RuleName, v: boolean | null, yes: string, no: string): RuleCheck {
  if (v === null) return { rule, status: 'unsupported', detail: 'this rule does not score the relation' };
  return { rule, status: v ? 'satisfied' : 'violated', detail: v ? yes : no };
}

function t2iCheck(v: number | null): RuleCheck {
  if (v === null) return { rule: 't2i-compbench', status: 'unsupported', detail: 'this rule does not score the relation' };
  return { rule: 't2i-compbench', status: v >= T2I_SATISFIED_FROM ? 'satisfied' : 'violated', detail: `position score ${v.toFixed(2)}` };
}

function statusFor(rule: RuleName, checks: readonly RuleCheck[]): RelationStatus {
  return checks.find((c) => c.rule === rule)?.status ?? 'unsupported';
}

function baseRelation(parsed: ParsedPrompt, r: PromptRelation, index: number): Omit<RelationView, 'status' | 'checks'> {
  const view: Omit<RelationView, 'status' | 'checks'> = { index, relation: r.relation, phrase: r.phrase, subject: r.subject, object: r.object, label: relationLabel(r, 'phrase', nounsOf(parsed)) };
  if (r.object2 !== undefined) view.object2 = r.object2;
  return view;
}

/** Each relation judged on the planned layout (the planner's own checks), under `rule`. */
export function layoutRelations(parsed: ParsedPrompt, checks: readonly LayoutCheck[] | null, rule: RuleName): RelationView[] {
  return parsed.relations.map((r, index) => {
    const c = checks?.find((x) => x.relation === index);
    const list: RuleCheck[] =
      c === undefined
        ? RULE_ORDER.map((ru) => ({ rule: ru, status: 'unknown' as const, detail: 'no layout could be planned' }))
        : [boolCheck('visor', c.visor, 'centres in order', 'centres out of order'), t2iCheck(c.t2i), boolCheck('geneval', c.geneval, 'beyond the margin', 'within the margin or wrong side')];
    return { ...baseRelation(parsed, r, index), status: statusFor(rule, list), checks: list };
  });
}

/** Inputs of {@link promptView}. */
export interface PromptViewInput {
  uri: string;
  line: number;
  fileName: string;
  parsed: ParsedPrompt;
  layout: LayoutResult;
  rewrite: string | null;
  rule: RuleName;
}

/** The panel's record for one prompt: objects, layout, rewrite and relations with layout checks. */
export function promptView(input: PromptViewInput): PromptView {
  const { parsed, layout } = input;
  const objects: ObjectView[] = parsed.objects.map((o) => ({ id: o.id, noun: o.noun, phrase: o.phrase, count: o.count }));
  let layoutView: LayoutView | null = null;
  let layoutError: string | null = null;
  if (layout.ok) {
    layoutView = {
      width: layout.layout.width,
      height: layout.layout.height,
      boxes: layout.layout.boxes.map((b) => ({ id: b.id, objectId: b.objectId, noun: b.noun, x: b.x, y: b.y, w: b.w, h: b.h })),
    };
  } else {
    const clashes = layout.conflicts.map((set) => set.map((i) => parsed.relations[i]).filter((r): r is PromptRelation => r !== undefined).map((r) => `"${relationLabel(r, 'phrase', nounsOf(parsed))}"`).join(' and '));
    layoutError = clashes.length > 0 ? `${layout.message} Conflicting: ${clashes.join('; ')}.` : layout.message;
  }
  return {
    key: promptKey(input.uri, input.line, parsed.text),
    uri: input.uri,
    line: input.line,
    fileName: input.fileName,
    text: parsed.text,
    rewrite: input.rewrite,
    objects,
    relations: layoutRelations(parsed, layout.ok ? layout.layout.checks : null, input.rule),
    layout: layoutView,
    layoutError,
  };
}

function imageChecks(e: RelationEvaluation | undefined, parsed: ParsedPrompt, r: PromptRelation, labelFor: (noun: string) => string | null): RuleCheck[] {
  if (e === undefined) {
    // Only `between` is left out of evaluation: it needs three boxes and no benchmark scores it.
    return RULE_ORDER.map((rule) => ({ rule, status: 'unsupported', detail: 'no benchmark scores this relation' }));
  }
  if (e.status === 'unknown') {
    const nouns = [r.subject, r.object].map(nounsOf(parsed));
    const unknownNoun = nouns.find((n) => labelFor(n) === null);
    if (unknownNoun !== undefined) {
      return RULE_ORDER.map((rule) => ({ rule, status: 'unsupported', detail: `"${unknownNoun}" is not in the detector's vocabulary` }));
    }
    const missing = [e.subjectBox === null ? nouns[0] : null, e.objectBox === null ? nouns[1] : null].filter((n): n is string => n !== null);
    return RULE_ORDER.map((rule) => ({ rule, status: 'unknown', detail: `not found: ${missing.join(', ') || 'object'}` }));
  }
  return [boolCheck('visor', e.visor, 'centres in order', 'centres out of order'), t2iCheck(e.t2iCompbench), boolCheck('geneval', e.geneval, 'beyond the margin', 'within the margin or wrong side')];
}

/** Inputs of {@link detectionView}. */
export interface DetectionViewInput {
  parsed: ParsedPrompt;
  detector: string;
  detections: readonly Detection[];
  evaluation: ImageEvaluation;
  labelFor: (noun: string) => string | null;
  rule: RuleName;
}

/**
 * The image side: every detection tagged with the prompt object it stands for, and every
 * relation of the prompt judged on the image (statuses: satisfied, violated, unknown = not found,
 * unsupported = not scored or not in the detector's vocabulary).
 */
export function detectionView(input: DetectionViewInput): DetectionState {
  const { parsed, evaluation } = input;
  const labelToObject = new Map<string, string>();
  for (const o of evaluation.objects) if (o.label !== null && !labelToObject.has(o.label)) labelToObject.set(o.label, o.id);
  const detections: DetectionView[] = input.detections.map((d) => ({ label: d.label, score: d.score, x: d.x, y: d.y, w: d.w, h: d.h, objectId: labelToObject.get(d.label) ?? null }));
  // Evaluation relations are the parser's relations without `between` (promptFromParsed), in order.
  const queue = [...evaluation.relations];
  const relations: RelationView[] = parsed.relations.map((r, index) => {
    let e: RelationEvaluation | undefined;
    if (r.object2 === undefined) {
      const at = queue.findIndex((x) => x.subject === r.subject && x.object === r.object && x.relation === r.relation);
      if (at >= 0) e = queue.splice(at, 1)[0];
    }
    const checks = imageChecks(e, parsed, r, input.labelFor);
    return { ...baseRelation(parsed, r, index), status: statusFor(input.rule, checks), checks };
  });
  return { status: 'done', detector: input.detector, detections, relations, notInVocabulary: [...new Set(evaluation.unknownNouns)] };
}
