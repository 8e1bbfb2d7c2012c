/** Public API of the evaluation core: the benchmarks' spatial rules, per-image results, aggregates. */
export {
  corners,
  boxCenter,
  boxIou,
  visorRule,
  visorPair,
  t2iCompbenchIou,
  t2iCompbenchPosition,
  t2iCompbenchImageScore,
  genevalRule,
  genevalRelations,
  genevalOrder,
  genevalFailingPair,
  VISOR_RELATIONS,
  T2I_LOCALITY,
  T2I_IOU_THRESHOLD,
  T2I_DISTANCE_THRESHOLD,
  GENEVAL_POSITION_THRESHOLD,
  GENEVAL_MAX_OBJECTS,
} from './rules';
export type { Corners } from './rules';
export { evaluateImage, aggregate, Aggregator, promptFromParsed, defaultLabelFor } from './evaluate';
export { Evaluation, judgeImage, labelMapperFor } from './judge';
export type { ImageToJudge } from './judge';
export { parseSr2d, parseImageName, PromptSetError, SR2D_RELATIONS } from './sources';
export type { Sr2dRecord } from './sources';
export type {
  EvalObject,
  EvalRelation,
  EvalPrompt,
  EvaluateOptions,
  ObjectEvaluation,
  BoxPair,
  RelationEvaluation,
  ImageEvaluation,
  VisorSummary,
  RelationTypeSummary,
  EvaluationSummary,
  EvaluatedImage,
} from './types';
export { evaluateImages, matchImages } from './runner';
export type { ImageJob, PerImageResult, EvaluateImagesDeps, EvaluateImagesOptions, StreamEvaluation } from './runner';
export { COCO_LABELS, mapToDetectorLabel } from './vocabulary';
export { RULE_NAMES, T2I_SATISFIED_FROM, ruleCovers, ruleVerdict } from './ruleVerdict';
export {
  bestOfProblem,
  candidateSeeds,
  chooseCandidate,
  compareCandidates,
  isRuleName,
  judgeCandidate,
  runBestOf,
  scoreCandidate,
} from './bestOf';
export type { BestOfCandidate, BestOfChoice, BestOfOutcome, BestOfSettings, CandidateScore, RankedCandidate } from './bestOf';
