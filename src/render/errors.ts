/** Errors of the render core, each naming the file and what was expected. */

/**
 * A model directory that cannot be used: a missing or unreadable file, or an ONNX graph whose
 * inputs/outputs differ from what the pipeline needs. The message names the file, the expected
 * and the found, and says what to do.
 */
export class ModelDirError extends Error {
  override readonly name = 'ModelDirError';
  constructor(
    /** The offending file (or folder). */
    readonly file: string,
    /** What the pipeline needs there. */
    readonly expected: string,
    /** What is there instead. */
    readonly found: string,
  ) {
    super(
      `${file}: expected ${expected}; found ${found}. ` +
        'Export the model with `optimum-cli export onnx --model SPRIGHT-T2I/spright-t2i-sd2 DIR` ' +
        '(see README, "Rendering") and point --model / sprightLens.render.modelPath at DIR.',
    );
  }
}

/** Thrown by `generate` when its AbortSignal fires; the partial render is dropped. */
export class RenderCancelledError extends Error {
  override readonly name = 'RenderCancelledError';
  constructor() {
    super('render cancelled');
  }
}

/** Invalid render parameters (bad size, steps, scheduler name, region guide...). */
export class RenderParamsError extends Error {
  override readonly name = 'RenderParamsError';
}
