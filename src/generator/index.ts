/** Public API of the generator core: the layout planner, the SPRIGHT-style rewriter, SVG output. */
export type { Layout, LayoutBox, LayoutCheck, LayoutOptions, LayoutResult, RewriteOptions, RewriteResult } from './types';
export { planLayout, checkLayout, layoutWithBoxes, placementWords, depthOf, MAX_INSTANCES_PER_OBJECT, MAX_BOXES } from './layout';
export { rewritePrompt, normalizeProse } from './rewrite';
export { pluralize, article, numberWord } from './english';
export { grammarIssues, newGrammarIssues, type GrammarIssue, type GrammarRule } from './grammar';
export { contentWords, missingContent, type ContentWord } from './content';
export { layoutToSvg, escapeXml, type SvgOptions } from './svg';
export { compareRewrite, checkRewrite, type RewriteComparison, type CompareOptions } from './roundTrip';
export { typicalSize, sizeClass } from './sizes';
export { createLlmRewriter, type LlmRewriter, type LlmRewriterOptions, type LlmRewriteResult } from './llm';
