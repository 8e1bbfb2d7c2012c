/**
 * Core records -> the preview panel's view records (src/protocol/messages.ts): the host computes
 * every verdict here, the webview only draws them.
 */
import type { Detection } from '../protocol/geometry';
import type { DetectionState, DetectionView, LayoutEditView, LayoutView, ObjectView, PromptView, RelationStatus, RelationView, RuleCheck, RuleName } from '../protocol/messages';
import { nounsOf, relationLabel } from '../parser/labels';
import type { ParsedPrompt, PromptRelation } from '../parser/types';
import type { Layout, LayoutCheck, LayoutResult } from '../generator/types';
import { boxCenter, T2I_SATISFIED_FROM } from '../evaluate/index';
import type { BoxPair, ImageEvaluation, RelationEvaluation } from '../evaluate/index';

// The threshold lives with the other verdicts of the evaluation core (best-of-N counts the same ✓).
export { T2I_SATISFIED_FROM };

const RULE_ORDER: readonly RuleName[] = ['visor', 't2i-compbench', 'geneval'];


/** A stable key for a prompt: document, line and a short hash of the text. */
export function promptKey(uri: string, line: number, text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${uri}#${line}#${h.toString(16)}`;
}

const NOT_SCORED = 'this rule does not score the relation';

function boolCheck(rule: RuleName, v: boolean | null, yes: string, no: string, pair: BoxPair | null = null): RuleCheck {
  if (v === null) return { rule, status: 'unsupported', detail: NOT_SCORED, pair: null };
  return { rule, status: v ? 'satisfied' : 'violated', detail: v ? yes : no, pair };
}

function t2iCheck(v: number | null, boxes = '', pair: BoxPair | null = null): RuleCheck {
  if (v === null) return { rule: 't2i-compbench', status: 'unsupported', detail: NOT_SCORED, pair: null };
  return { rule: 't2i-compbench', status: v >= T2I_SATISFIED_FROM ? 'satisfied' : 'violated', detail: `${boxes}position score ${v.toFixed(2)}`, pair };
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
        ? RULE_ORDER.map((ru) => ({ rule: ru, status: 'unknown' as const, detail: 'no layout could be planned', pair: null }))
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
  /** How the layout relates to the prompt's layout file (omitted: planned, not editable). */
  layoutEdit?: LayoutEditView;
}

/** A layout as the panel draws it. */
export function layoutViewOf(layout: Pick<Layout, 'width' | 'height' | 'boxes'>): LayoutView {
  return { width: layout.width, height: layout.height, boxes: layout.boxes.map((b) => ({ id: b.id, objectId: b.objectId, noun: b.noun, x: b.x, y: b.y, w: b.w, h: b.h })) };
}

/** The panel's record for one prompt: objects, layout, rewrite and relations with layout checks. */
export function promptView(input: PromptViewInput): PromptView {
  const { parsed, layout } = input;
  const objects: ObjectView[] = parsed.objects.map((o) => ({ id: o.id, noun: o.noun, phrase: o.phrase, count: o.count }));
  let layoutView: LayoutView | null = null;
  let layoutError: string | null = null;
  if (layout.ok) {
    layoutView = layoutViewOf(layout.layout);
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
    layoutEdit: layoutView !== null ? (input.layoutEdit ?? null) : null,
  };
}

/** A detected box as its label on the image reads: "dog 0.91". */
function boxName(d: Detection): string {
  return `${d.label} ${d.score.toFixed(2)}`;
}

/** The axis and comparison VISOR's centroid rule uses for a relation. */
const VISOR_TEST: Partial<Record<string, { axis: 'x' | 'y'; op: '<' | '>' }>> = {
  left_of: { axis: 'x', op: '<' },
  right_of: { axis: 'x', op: '>' },
  above: { axis: 'y', op: '<' },
  below: { axis: 'y', op: '>' },
};

/** VISOR's check: which pair satisfied the relation (any pair counts), or that none did. */
function visorCheck(e: RelationEvaluation, nouns: [string, string], objects: ImageEvaluation['objects'], detections: readonly Detection[]): RuleCheck {
  const test = VISOR_TEST[e.relation];
  if (e.visor === null || test === undefined) return boolCheck('visor', null, '', '');
  const pair = e.pairs.visor;
  if (pair !== null) {
    const [a, b] = [detections[pair[0]], detections[pair[1]]];
    const ca = boxCenter(a)[test.axis].toFixed(1);
    const cb = boxCenter(b)[test.axis].toFixed(1);
    return boolCheck('visor', true, `${boxName(a)} / ${boxName(b)}: centre ${test.axis} ${ca} ${test.op} ${cb} (any pair of boxes counts)`, '', pair);
  }
  const n = (id: string): number => objects.find((o) => o.id === id)?.indices.length ?? 0;
  const pairs = n(e.subject) * n(e.object);
  return boolCheck('visor', false, '', `no pair of the ${n(e.subject)} ${nouns[0]} × ${n(e.object)} ${nouns[1]} boxes (${pairs} pair${pairs === 1 ? '' : 's'}) has centre ${test.axis} ${test.op}`);
}

function imageChecks(e: RelationEvaluation | undefined, parsed: ParsedPrompt, r: PromptRelation, input: DetectionViewInput): RuleCheck[] {
  if (e === undefined) {
    // Only `between` is left out of evaluation: it needs three boxes and no benchmark scores it.
    return RULE_ORDER.map((rule) => ({ rule, status: 'unsupported', detail: 'no benchmark scores this relation', pair: null }));
  }
  const nouns = [r.subject, r.object].map(nounsOf(parsed)) as [string, string];
  if (e.status === 'unknown') {
    const unknownNoun = nouns.find((n) => input.labelFor(n) === null);
    if (unknownNoun !== undefined) {
      return RULE_ORDER.map((rule) => ({ rule, status: 'unsupported', detail: `"${unknownNoun}" is not in the detector's vocabulary`, pair: null }));
    }
    const found = (id: string): boolean => (input.evaluation.objects.find((o) => o.id === id)?.indices.length ?? 0) > 0;
    const missing = [found(e.subject) ? null : nouns[0], found(e.object) ? null : nouns[1]].filter((n): n is string => n !== null);
    return RULE_ORDER.map((rule) => ({ rule, status: 'unknown', detail: `not found: ${missing.join(', ') || 'object'}`, pair: null }));
  }
  const d = input.detections;
  const named = (p: BoxPair | null, what: string): string => (p === null ? '' : `${what} ${boxName(d[p[0]])} / ${boxName(d[p[1]])}: `);
  const g = e.pairs.geneval;
  const counted = [r.subject, r.object].some((id) => (parsed.objects.find((o) => o.id === id)?.count ?? 1) > 1);
  return [
    visorCheck(e, nouns, input.evaluation.objects, d),
    t2iCheck(e.t2iCompbench, named(e.pairs.t2iCompbench, 'first boxes'), e.pairs.t2iCompbench),
    boolCheck(
      'geneval',
      e.geneval,
      `${named(g, 'top boxes')}beyond the margin${counted ? ' (every counted pair)' : ''}`,
      `${named(g, 'boxes')}within the margin or wrong side`,
      g,
    ),
  ];
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
    const checks = imageChecks(e, parsed, r, input);
    return { ...baseRelation(parsed, r, index), status: statusFor(input.rule, checks), checks };
  });
  return { status: 'done', detector: input.detector, detections, relations, notInVocabulary: [...new Set(evaluation.unknownNouns)] };
}
