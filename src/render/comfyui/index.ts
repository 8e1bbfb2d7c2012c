/**
 * The ComfyUI backend's core: render our parameters and region guides through the ComfyUI server
 * the user already runs (HTTP + WebSocket), with progress, cancel and one-line errors. Pure Node.
 */
export { ComfyError, cleanServerText, type ComfyErrorKind, type ComfyErrorNode } from './errors';
export { DEFAULT_COMFY_SERVER, isLoopbackHost, parseComfyServer, serverLabel, type ComfyServerOptions } from './server';
export {
  AREA_MIN,
  AREA_STEP,
  COMFY_SAMPLER_FOR,
  DEFAULT_SAMPLER,
  DEFAULT_SCHEDULER,
  applyRegions,
  buildGraph,
  snapArea,
  type AppliedRegion,
  type BuiltGraph,
  type ComfyGraph,
  type ComfyLink,
  type ComfyNode,
  type ComfyRenderParams,
} from './graph';
export {
  ComfyClient,
  parsePreview,
  type ComfyClientOptions,
  type ComfyJob,
  type ComfyPhase,
  type ComfyPreview,
  type ComfyRenderControl,
  type ComfyRenderResult,
  type ComfyRunResult,
  type ComfySamplerOptions,
  type ComfySystemInfo,
  type ComfyTimings,
} from './client';
export {
  nodeTransport,
  recordingTransport,
  relativePath,
  TransportError,
  type ComfySocket,
  type ComfyTransport,
  type HttpReply,
  type SocketListener,
  type TranscriptEvent,
} from './transport';
export { saveComfyRender } from './save';
