/**
 * Parent side of the inference worker: forks it lazily, sends typed requests, routes progress and
 * log events, cancels through AbortSignals, and turns a worker crash into an error for every
 * pending request (the next request starts a fresh worker).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { CANCELLED, type FromWorker, type ToWorker } from './protocol';

/** Options of `WorkerClient`. */
export interface WorkerClientOptions {
  /** The worker script: dist/worker.js in the product, out/src/worker/worker.js in tests. */
  readonly entry: string;
  /** Extra environment for the child (merged over process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the worker's notes (execution-provider fallback...) and its stderr lines. */
  readonly onLog?: (level: 'info' | 'warn', message: string) => void;
}

/** Per-request options. */
export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (step: number, total: number) => void;
}

/** The request was cancelled through its AbortSignal. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** The worker process died (crash, out of memory, killed) while the request ran. */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

/** An error thrown by the handler inside the worker; `remoteName` is its class name there. */
export class WorkerRequestError extends Error {
  override readonly name = 'WorkerRequestError';
  constructor(
    readonly remoteName: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onProgress?: (step: number, total: number) => void;
  cleanup(): void;
}

export class WorkerClient {
  readonly #options: WorkerClientOptions;
  #child: ChildProcess | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #disposed = false;

  constructor(options: WorkerClientOptions) {
    this.#options = options;
  }

  /** Process id of the running worker, if one is running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Runs `method` in the worker; rejects with CancelledError, WorkerCrashedError or WorkerRequestError. */
  request<T>(method: string, params: unknown, options: RequestOptions = {}): Promise<T> {
    if (this.#disposed) return Promise.reject(new Error('worker client disposed'));
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    const child = this.#ensure();
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => this.#send(child, { type: 'cancel', id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: options.onProgress,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      this.#send(child, { type: 'request', id, method, params });
    });
  }

  /** Kills the worker; pending requests fail. */
  dispose(): void {
    this.#disposed = true;
    const child = this.#child;
    this.#child = undefined;
    this.#failAll(new WorkerCrashedError('inference worker stopped (disposed)'));
    child?.kill();
  }

  #send(child: ChildProcess, message: ToWorker): void {
    if (child.connected) child.send(message);
  }

  #ensure(): ChildProcess {
    if (this.#child) return this.#child;
    const child = fork(this.#options.entry, [], {
      env: { ...process.env, ...this.#options.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
      for (const line of chunk.split('\n')) if (line.trim()) this.#options.onLog?.('warn', `worker: ${line}`);
    });
    child.on('message', (m: FromWorker) => this.#onMessage(m));
    const onGone = (detail: string): void => {
      if (this.#child !== child) return;
      this.#child = undefined;
      const tail = stderrTail.trim().split('\n').slice(-1)[0];
      this.#failAll(new WorkerCrashedError(`inference worker ${detail}${tail ? ` (last output: ${tail})` : ''}; it restarts on the next request`));
    };
    child.on('exit', (code, signal) => onGone(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.on('error', (err) => onGone(`failed: ${err.message}`));
    return child;
  }

  #onMessage(m: FromWorker): void {
    const p = this.#pending.get(m.id);
    switch (m.type) {
      case 'progress':
        p?.onProgress?.(m.step, m.total);
        return;
      case 'log':
        this.#options.onLog?.(m.level, m.message);
        return;
      case 'result':
        if (!p) return;
        this.#pending.delete(m.id);
        p.cleanup();
        p.resolve(m.result);
        return;
      case 'error':
        if (!p) return;
        this.#pending.delete(m.id);
        p.cleanup();
        p.reject(m.name === CANCELLED ? new CancelledError() : new WorkerRequestError(m.name, m.message));
        return;
    }
  }

  #failAll(err: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(err);
    }
  }
}
