/** Public API of batch rendering: run a prompt set, resume it, summarise and report it. */
export {
  runBatch,
  openBatchFolder,
  planBatch,
  batchRecord,
  writeBatchOutputs,
  fsError as batchFsError,
  floorOf as detectionFloor,
  BatchError,
  imageFile,
  MANIFEST,
  SUMMARY,
  REPORT,
  REWRITE_DIR,
  CANDIDATES_DIR,
  candidateFile,
  MAX_IMAGES_PER_PROMPT,
} from './runBatch';
export { lockFolder, removeDeadTempFiles, processAlive, FolderLockedError, LOCK_DIR, LOCK_OWNER } from './lock';
export type { FolderLock, LockOwner } from './lock';
export { parseManifest, manifestRecordProblem, candidateLineProblem, isCandidateLine, parameterDifferences, renderKey } from './manifest';
export type { CorruptedLine } from './manifest';
export { summarize, judgeRecord, imageToJudge, bestOfSummary, promptSet } from './summary';
export type { BatchSummary, BestOfSummary, BestOfGain } from './summary';
export { renderReport, escapeHtml, thumbnailUri } from './report';
export type { ReportOptions } from './report';
export { nodeBatchFs } from './nodeFs';
export type * from './types';
export type { BatchFolder, BatchPlan, PlannedImage, Work } from './runBatch';
export { ProgressReporter, formatProgress, formatDuration } from './progress';
export type { ProgressStream } from './progress';
export * from './sources';
export * from './serviceDeps';
