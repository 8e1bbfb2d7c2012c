/**
 * Errors of the ComfyUI client: one clear line each, naming the node and input where there is one.
 * Bad render parameters are the render core's RenderParamsError, as with the ONNX pipeline.
 */

/**
 * What went wrong, for callers that react differently (a picker refreshes its list on
 * `checkpoint`, a batch stops on `unreachable` and `server-lost` but goes on after `execution`):
 * - `url`: the server URL is malformed, not http(s), or not loopback without the allow flag;
 * - `unreachable`: no answer at the URL (connection refused, DNS, timeout);
 * - `protocol`: the server answered, but not as ComfyUI does (not JSON, a missing history entry,
 *   a truncated PNG);
 * - `rejected`: ComfyUI refused the graph (HTTP 400 with `node_errors`);
 * - `checkpoint`: the checkpoint name is not in the server's list;
 * - `execution`: a node failed while running (`execution_error`);
 * - `interrupted`: the run was stopped on the server by someone else (not by our cancel, which
 *   rejects with `RenderCancelledError`);
 * - `server-lost`: the server went away during the render.
 */
export type ComfyErrorKind =
  'url' | 'unreachable' | 'protocol' | 'rejected' | 'checkpoint' | 'execution' | 'interrupted' | 'server-lost';

/** The graph node an error is about. */
export interface ComfyErrorNode {
  readonly id: string;
  readonly classType?: string;
  /** The node input the error names, when ComfyUI says which. */
  readonly input?: string;
}

/** Any failure of the ComfyUI backend. `message` is a single line of plain text. */
export class ComfyError extends Error {
  override readonly name = 'ComfyError';
  constructor(
    readonly kind: ComfyErrorKind,
    message: string,
    /** The node (and input) the server named, if any. */
    readonly node?: ComfyErrorNode,
  ) {
    super(message);
  }
}

// CSI/OSC terminal escapes (tracebacks from a coloured log), then any other control character.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g;

/**
 * Server-supplied text made safe to put in a one-line message: escapes and control characters
 * (newlines included) become single spaces, and long text is cut with an ellipsis. It stays
 * plain text: callers show it with textContent, never as HTML.
 */
export function cleanServerText(value: unknown, max = 240): string {
  const text = (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value))
    .replace(ANSI, ' ')
    .replace(CONTROL, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `node 'sampler' (KSampler) input 'steps'`, for messages. */
export function describeNode(node: ComfyErrorNode): string {
  const cls = node.classType ? ` (${cleanServerText(node.classType, 60)})` : '';
  const input = node.input ? ` input '${cleanServerText(node.input, 60)}'` : '';
  return `node '${cleanServerText(node.id, 60)}'${cls}${input}`;
}
