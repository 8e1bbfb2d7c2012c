/**
 * One relation's verdict under one chosen rule (the setting `sprightLens.evaluate.rule`, the CLI's
 * `--rule`): what the panel marks ✓/✗, what the batch grid shows and what best-of-N counts. The
 * rules themselves are in rules.ts; this only reads the verdicts `evaluateImage` already made.
 */
import type { RelationType } from '../parser/types';
import type { RuleName } from '../protocol/messages';
import { T2I_LOCALITY, VISOR_RELATIONS } from './rules';
import type { RelationEvaluation } from './types';

/** The rules a relation can be judged by, in the order the panel lists them. */
export const RULE_NAMES: readonly RuleName[] = ['visor', 't2i-compbench', 'geneval'];

/**
 * A T2I-CompBench position score counts as satisfied from this value: upstream gives 1 to a
 * well-separated pair in the right direction and 0.1/IoU to overlapping ones, so 0.5 means "right
 * direction, overlap at most IoU 0.2".
 */
export const T2I_SATISFIED_FROM = 0.5;

/** Whether `rule` scores relations of this type at all (VISOR and GenEval: the four directions). */
export function ruleCovers(rule: RuleName, relation: RelationType): boolean {
  return rule === 't2i-compbench' ? relation in T2I_LOCALITY : VISOR_RELATIONS.includes(relation);
}

/**
 * The verdict of `rule` on one judged relation: true or false, or null when the rule does not
 * cover the relation or an object was not found (the rule then has nothing to look at).
 */
export function ruleVerdict(r: Pick<RelationEvaluation, 'visor' | 't2iCompbench' | 'geneval'>, rule: RuleName): boolean | null {
  if (rule === 'visor') return r.visor;
  if (rule === 'geneval') return r.geneval;
  return r.t2iCompbench === null ? null : r.t2iCompbench >= T2I_SATISFIED_FROM;
}
