/** Public API of the evaluation core: the benchmarks' spatial rules, per-image results, aggregates. */
export {
  boxCenter,
  boxIou,
  visorRule,
  t2iCompbenchPosition,
  t2iCompbenchImageScore,
  genevalRule,
  genevalRelations,
  VISOR_RELATIONS,
  T2I_LOCALITY,
  T2I_IOU_THRESHOLD,
  T2I_DISTANCE_THRESHOLD,
  GENEVAL_POSITION_THRESHOLD,
} from './rules';
export { evaluateImage, aggregate, promptFromParsed, defaultLabelFor } from './evaluate';
export { parseSr2d, parseImageName, PromptSetError } from './sources';
export type { Sr2dRecord } from './sources';
export type {
  EvalObject,
  EvalRelation,
  EvalPrompt,
  EvaluateOptions,
  ObjectEvaluation,
  RelationEvaluation,
  ImageEvaluation,
  VisorSummary,
  RelationTypeSummary,
  EvaluationSummary,
  EvaluatedImage,
} from './types';
export { evaluateFolder } from './runner';
export { COCO_LABELS, mapToDetectorLabel } from './vocabulary';
export type { EvaluateFolderDeps, PerImageResult, FolderEvaluation } from './runner';
