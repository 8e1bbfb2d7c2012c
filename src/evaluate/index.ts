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
