/** Public API of the generator core: the layout planner and the SPRIGHT-style rewriter. */
export type { Layout, LayoutBox, LayoutCheck, LayoutOptions, LayoutResult, RewriteOptions, RewriteResult } from './types';
export { planLayout, placementWords, describeRelation, MAX_INSTANCES_PER_OBJECT, MAX_BOXES } from './layout';
