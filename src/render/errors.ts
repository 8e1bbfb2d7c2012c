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

/** Invalid render parameters (bad size, steps, scheduler name, region guide...) or a render that cannot fit. */
export class RenderParamsError extends Error {
  override readonly name = 'RenderParamsError';
}

/** Removes ANSI colour codes, which onnxruntime puts around its log lines. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/**
 * The part of an onnxruntime error a person can use: without source paths, C++ signatures and
 * status codes ("/onnxruntime_src/...cc:51 onnxruntime::Initializer::Initializer(...) [ONNXRuntimeError] : 1 : FAIL :").
 */
export function ortReason(message: string): string {
  let text =
    stripAnsi(message)
      .split('\n')
      .find((l) => l.trim()) ?? '';
  text = text
    .replace(/Exception during initialization:\s*/g, '')
    .replace(/\S*\.(cc|cpp|h):\d+\s*/g, '')
    .replace(/onnxruntime::\S*?\([^)]*\)\s*/g, '')
    .replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*[A-Z_]+\s*:\s*/g, '')
    .replace(/^[A-Z][A-Za-z]+FromTensorProto\s+/, '')
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text || 'an unknown error';
}

/**
 * A graph onnxruntime could not load, as a ModelDirError naming the file at fault: the external
 * weights file when they are shorter than the graph says (a truncated copy), else the graph.
 */
export function ortLoadError(graphFile: string, err: unknown, externalData: readonly string[] = []): ModelDirError {
  const message = stripAnsi(err instanceof Error ? err.message : String(err));
  const m = /External initializer: \S+ offset: (\d+) size to read: (\d+) given file_length: (\d+)/.exec(message);
  if (m && externalData.length) {
    const dir = graphFile.replace(/[\\/][^\\/]*$/, '');
    return new ModelDirError(
      `${dir}/${externalData[0]}`,
      `the complete external weights of ${graphFile.split(/[\\/]/).slice(-2).join('/')}`,
      `a file of ${m[3]} bytes that ends before byte ${Number(m[1]) + Number(m[2])} the graph reads (a truncated copy or download); copy the file again`,
    );
  }
  return new ModelDirError(
    graphFile,
    'an ONNX graph onnxruntime can load',
    `onnxruntime refuses it: ${ortReason(message)}`,
  );
}
