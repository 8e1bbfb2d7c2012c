/**
 * Messages between the extension host (or CLI) and the inference worker child process, sent as
 * JSON over the Node IPC channel. Requests and cancels travel parent -> worker; progress, logs,
 * results and errors travel worker -> parent, tagged with the request id.
 */

/** Parent -> worker: run `method` with `params`; answered by one `result` or `error` with the same id. */
export interface RequestMessage {
  readonly type: 'request';
  readonly id: number;
  readonly method: string;
  readonly params: unknown;
}

/** Parent -> worker: abort request `id`; the worker answers it with an `error` named 'CancelledError' within one step. */
export interface CancelMessage {
  readonly type: 'cancel';
  readonly id: number;
}

/** Worker -> parent: request `id` finished step `step` of `total`. */
export interface ProgressMessage {
  readonly type: 'progress';
  readonly id: number;
  readonly step: number;
  readonly total: number;
}

/** Worker -> parent: a note for the user (e.g. the execution-provider fallback), about request `id`. */
export interface LogMessage {
  readonly type: 'log';
  readonly id: number;
  readonly level: 'info' | 'warn';
  readonly message: string;
}

/** Worker -> parent: request `id` succeeded. */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly result: unknown;
}

/** Worker -> parent: request `id` failed; `name` keeps the error class (ModelDirError, CancelledError...). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly name: string;
  readonly message: string;
}

export type ToWorker = RequestMessage | CancelMessage;
export type FromWorker = ProgressMessage | LogMessage | ResultMessage | ErrorMessage;

/** Error name the worker uses for a request stopped by `cancel`. */
export const CANCELLED = 'CancelledError';
