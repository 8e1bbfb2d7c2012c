/**
 * The renders the live suite and the transcript recorder run against the real server, in one
 * place so that the recorded transcripts replay exactly what the client sends.
 */
import type { ComfyJob, ComfyRenderParams } from '../../src/render/comfyui';

/** Name of the tiny checkpoint the tests build, and of a corrupt one (random bytes). */
export const TINY = 'tiny.safetensors';
export const CORRUPT = 'corrupt.safetensors';

/** 64x64 in 2 steps: the cheapest real render. */
export const PLAIN: ComfyRenderParams = {
  prompt: 'a red cube to the left of a blue ball',
  negativePrompt: 'blurry',
  steps: 2,
  guidanceScale: 7,
  seed: 42,
  width: 64,
  height: 64,
  checkpoint: TINY,
};

/** 128x64 with a box on the left half (1,1.5 58.5x61 px, snapped to 0,0 64x64). */
export const REGIONS: ComfyRenderParams = {
  ...PLAIN,
  width: 128,
  height: 64,
  regions: {
    background: PLAIN.prompt,
    regions: [{ id: 'cube', prompt: 'a red cube', box: { x: 2 / 256, y: 3 / 128, w: 117 / 256, h: 122 / 128 } }],
  },
};

/** Long enough that a cancel or a kill at step 1 always lands mid-run. */
export const LONG: ComfyRenderParams = { ...PLAIN, steps: 1000, seed: 7 };

/** A graph naming a node type the server does not have. */
export const UNKNOWN_NODE: ComfyJob = {
  graph: { out: { class_type: 'NoSuchNode', inputs: {} } },
  outputNode: 'out',
};

/** A PreviewImage without its required `images` input. */
export const MISSING_INPUT: ComfyJob = {
  graph: { out: { class_type: 'PreviewImage', inputs: {} } },
  outputNode: 'out',
};
