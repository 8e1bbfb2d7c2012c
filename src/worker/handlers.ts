/**
 * The worker's method registry. Each entry loads its handler lazily, so that a worker that only
 * detects never loads the render code and vice versa. Adding a method is one line here.
 */

/** What a handler gets besides its params. */
export interface HandlerContext {
  /** Aborted when the parent cancels this request; handlers check it at least once per step. */
  readonly signal: AbortSignal;
  /** Reports step `step` of `total` to the parent. */
  progress(step: number, total: number): void;
  /** Sends a note for the user to the parent. */
  log(level: 'info' | 'warn', message: string): void;
}

/** One worker method: validates its own params (they arrive as untyped JSON). */
export type Handler = (params: unknown, ctx: HandlerContext) => Promise<unknown>;

export const handlers: Record<string, () => Handler> = {
  render: () => (require('./renderHandler') as typeof import('./renderHandler')).renderHandler,
  detect: () => (require('./detectHandler') as typeof import('./detectHandler')).detectHandler,
};

// Methods that hang, crash or count steps, for the worker's own tests; never in production.
if (process.env.SPRIGHT_WORKER_TEST_METHODS === '1') {
  Object.assign(handlers, (require('./testHandlers') as typeof import('./testHandlers')).testHandlers);
}
