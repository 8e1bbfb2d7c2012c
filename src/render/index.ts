/**
 * Local Stable Diffusion 2.x rendering on onnxruntime-node (pure Node, no vscode): model folder
 * validation, CLIP tokenizer, diffusers-compatible schedulers, the deterministic seed generator,
 * the text-to-image pipeline and its region guidance.
 */
export { ModelDirError, RenderCancelledError } from './errors';
export { MAX_BATCH, MAX_SIDE, MAX_STEPS, availableMemory, checkRenderMemory, checkSize, estimateRenderMemory, formatBytes, type MemoryEstimate, type RenderShape } from './limits';
export { ClipTokenizer, clipClean, loadClipTokenizer, type ClipTokenizerFiles, type TokenIds } from './tokenizer';
export {
  SCHEDULER_NAMES,
  SchedulerConfigError,
  alphasCumprod,
  createScheduler,
  makeBetas,
  schedulerFromClassName,
  type NoiseSource,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerName,
} from './schedulers';
export { GaussianRandom } from './random';
export {
  BOOTSTRAP_ENCODE_LATENT_SIZE,
  MAX_REGIONS,
  drawBootstrap,
  erf,
  regionMasks,
  resolveRegionGuide,
  type BootstrapDraws,
  type RegionMasks,
  type ResolvedGuide,
} from './regions';
export { float16ToFloat32, float32ToFloat16, fromHalf, toHalf } from './float16';
export { readOnnxSignature, OnnxFormatError, type OnnxSignature, type OnnxValueInfo, type OnnxElemType } from './onnxGraph';
export {
  GRAPH_CONTRACT,
  VAE_ENCODER_CONTRACT,
  modelIdentity,
  parsePythonJson,
  validateModelDir,
  validateVaeEncoder,
  type ModelArchitecture,
  type ModelDirInfo,
} from './modelDir';
export {
  CUDA_HOWTO,
  PROVIDER_REQUESTS,
  cleanReason,
  cudaProviderInstalled,
  fallbackMessage,
  softwareVulkan,
  webgpuUnavailable,
  providerCandidates,
  type ProviderName,
  type ProviderRequest,
  type RenderLogger,
} from './providers';
export {
  RenderParamsError,
  loadPipeline,
  type GenerateControl,
  type GenerateParams,
  type GenerateResult,
  type Pipeline,
  type PipelineOptions,
  type RenderTimings,
} from './pipeline';
