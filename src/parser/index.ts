/**
 * The spatial prompt parser: pure (no vscode), deterministic, linear in its input.
 * `parsePrompt` for one prompt, `DocumentAnalyzer` for editors, `readPromptFile` for the CLI,
 * `findConflicts` and the relation algebra for the layout planner, the lexicon for grammar and rewrite.
 */
export * from './types';
export { parsePrompt, MAX_ANALYZED_CHARS } from './parse';
export { splitPromptLines, DocumentAnalyzer, type PromptLine, type AnalyzedLine } from './lines';
export { findConflicts, inverseRelation, normalizeRelation } from './conflicts';
export { relationLabel, relationKey, relationWords, nounsOf, idsOf, type NameOf, type RelationLabelStyle } from './labels';
export { removeRelation, tidy, toSingleLine, rewriteDocumentText, type PromptEdit, type RemovalResult } from './edits';
export { readPromptSource, readPromptFile, promptFileReadError, PromptFileError, type PromptRecord } from './promptFile';
export {
  SPATIAL_PHRASES,
  SIDE_PHRASES,
  VAGUE_PHRASES,
  UNKNOWN_RELATION_PHRASES,
  MULTI_WORD_NOUNS,
  COUNT_PHRASES,
  COUNT_WORDS,
  ATTRIBUTE_WORDS,
  type SpatialPhrase,
  type AbsoluteSide,
} from './lexicon';
