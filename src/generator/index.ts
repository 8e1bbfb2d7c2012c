/** Public API of the generator core: the layout planner, the SPRIGHT-style rewriter, SVG output. */
export type { Layout, LayoutBox, LayoutCheck, LayoutOptions, LayoutResult, RewriteOptions, RewriteResult } from './types';
export { planLayout, placementWords, MAX_INSTANCES_PER_OBJECT, MAX_BOXES } from './layout';
export { rewritePrompt, pluralize, article } from './rewrite';
export { layoutToSvg, escapeXml, type SvgOptions } from './svg';
export { compareRewrite, type RewriteComparison, type CompareOptions } from './roundTrip';
export { typicalSize, sizeClass } from './sizes';
export { createLlmRewriter, type LlmRewriter, type LlmRewriterOptions, type LlmRewriteResult } from './llm';
