/**
 * The service side of the inference service: runs requests against the method handlers, streams
 * their progress and logs, and aborts a request when the client cancels it. The same host serves
 * a forked child process (main.ts, over IPC) and an in-process client (inProcess.ts, by direct
 * calls), so both behave alike.
 */
import { CANCELLED, type CancelReport, type FromService, type MethodTable, type ToService } from '../protocol/service';

/** What a handler gets besides its params. */
export interface HandlerContext<E> {
  /** Aborted when the client cancels this request; handlers check it at least once per step. */
  readonly signal: AbortSignal;
  /** Streams one progress event to the client. */
  progress(event: E): void;
  /** Sends a note for the user to the client. */
  log(level: 'info' | 'warn', message: string): void;
}

/** One method's implementation: validates its params (they arrive as untyped JSON), then runs. */
export interface MethodHandler<P, E, R> {
  validate(params: unknown): P;
  run(params: P, ctx: HandlerContext<E>): Promise<R>;
  /** Frees what it keeps loaded between requests (models, sessions). */
  release?(): Promise<void>;
}

/** Handlers for every method of a table, each created on first use. */
export type HandlerTable<T extends MethodTable> = {
  readonly [M in keyof T]: () => MethodHandler<T[M]['params'], T[M]['progress'], T[M]['result']>;
};

type AnyHandler = MethodHandler<unknown, unknown, unknown>;

interface Running {
  readonly controller: AbortController;
  /** The last `step` its progress events reported. */
  lastStep: number | null;
  stepAtCancel: number | null;
}

function isCancel(err: unknown, signal: AbortSignal): boolean {
  const name = (err as Error | undefined)?.name;
  return signal.aborted && (name === 'RenderCancelledError' || name === CANCELLED || name === 'AbortError');
}

function stepOf(event: unknown): number | null {
  const step = (event as { step?: unknown } | null)?.step;
  return typeof step === 'number' ? step : null;
}

export class ServiceHost {
  readonly #factories: Readonly<Record<string, () => AnyHandler>>;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #running = new Map<number, Running>();
  readonly #send: (message: FromService) => void;

  constructor(handlers: HandlerTable<MethodTable>, send: (message: FromService) => void) {
    this.#factories = handlers as unknown as Record<string, () => AnyHandler>;
    this.#send = send;
  }

  /** Handles one message from the client. */
  receive(message: ToService): void {
    if (message.type === 'request') void this.#run(message.id, message.method, message.params);
    else if (message.type === 'cancel') {
      const r = this.#running.get(message.id);
      if (r && !r.controller.signal.aborted) {
        r.stepAtCancel = r.lastStep;
        r.controller.abort();
      }
    }
  }

  /** Frees every handler's loaded models. */
  async release(): Promise<void> {
    const all = [...this.#handlers.values()];
    this.#handlers.clear();
    await Promise.all(all.map((h) => h.release?.().catch(() => undefined)));
  }

  #handler(method: string): AnyHandler | undefined {
    let h = this.#handlers.get(method);
    const make = Object.prototype.hasOwnProperty.call(this.#factories, method) ? this.#factories[method] : undefined;
    if (!h && make) {
      h = make();
      this.#handlers.set(method, h);
    }
    return h;
  }

  async #run(id: number, method: string, params: unknown): Promise<void> {
    const running: Running = { controller: new AbortController(), lastStep: null, stepAtCancel: null };
    this.#running.set(id, running);
    const signal = running.controller.signal;
    try {
      const handler = this.#handler(method);
      if (!handler) {
        this.#send({ type: 'error', id, name: 'UnknownMethodError', message: `the inference service has no method '${method}' (known: ${Object.keys(this.#factories).join(', ')})` });
        return;
      }
      const result = await handler.run(handler.validate(params), {
        signal,
        progress: (event) => {
          const step = stepOf(event);
          if (step !== null) running.lastStep = step;
          this.#send({ type: 'progress', id, event });
        },
        log: (level, message) => this.#send({ type: 'log', id, level, message }),
      });
      this.#send({ type: 'result', id, result });
    } catch (err) {
      const e = err as (Error & { code?: unknown }) | undefined;
      if (isCancel(err, signal)) {
        const cancel: CancelReport = { stepAtCancel: running.stepAtCancel, lastStep: running.lastStep };
        this.#send({ type: 'error', id, name: CANCELLED, message: 'cancelled', cancel });
      } else {
        this.#send({ type: 'error', id, name: e?.name ?? 'Error', message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) });
      }
    } finally {
      this.#running.delete(id);
    }
  }
}
