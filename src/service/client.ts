/**
 * The client side of the inference service: typed calls by the method table, progress and log
 * routing, cancellation through AbortSignals, and errors with their remote class names. Two
 * transports implement it: a forked child process (this file; the extension, and the CLI when it
 * renders) and the same process (inProcess.ts; the CLI's detection and the tests).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CANCELLED, type CancelReport, type FromService, type MethodTable, type ServiceMethods, type ToService } from '../protocol/service';

/** Per-call options. */
export interface CallOptions<E> {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: E) => void;
}

/** The inference service, as every caller uses it, whatever runs it. */
export interface InferenceService<T extends MethodTable = ServiceMethods> {
  /** Runs `method`; rejects with CancelledError, ServiceCrashedError or ServiceRequestError. */
  call<M extends keyof T & string>(method: M, params: T[M]['params'], options?: CallOptions<T[M]['progress']>): Promise<T[M]['result']>;
  /** Frees loaded models (a model setting changed); the next call loads afresh. */
  release(): void;
  /** Stops the service; pending calls fail. */
  dispose(): void;
}

/** Options shared by both transports. */
export interface ServiceOptions {
  /** Receives the service's notes (execution-provider fallback...) and, when forked, its stderr lines. */
  readonly onLog?: (level: 'info' | 'warn', message: string) => void;
}

/** The call was cancelled through its AbortSignal. `report` says where the service stopped. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(readonly report: CancelReport = { stepAtCancel: null, lastStep: null }) {
    super('cancelled');
  }
}

/** The service process died (crash, out of memory, killed) while the call ran. */
export class ServiceCrashedError extends Error {
  override readonly name = 'ServiceCrashedError';
}

/** An error thrown by the method inside the service; `remoteName` is its class name there. */
export class ServiceRequestError extends Error {
  override readonly name = 'ServiceRequestError';
  constructor(
    readonly remoteName: string,
    message: string,
    /** The errno code of a file-system error, when it was one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onProgress?: (event: unknown) => void;
  cleanup(): void;
}

/** Request bookkeeping common to the transports: ids, pending calls, message routing. */
export abstract class ServiceConnection<T extends MethodTable = ServiceMethods> implements InferenceService<T> {
  protected readonly options: ServiceOptions;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #disposed = false;

  constructor(options: ServiceOptions) {
    this.options = options;
  }

  /** Delivers one message to the service, starting it when needed. */
  protected abstract send(message: ToService): void;

  call<M extends keyof T & string>(method: M, params: T[M]['params'], options: CallOptions<T[M]['progress']> = {}): Promise<T[M]['result']> {
    if (this.#disposed) return Promise.reject(new Error('inference service disposed'));
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    const id = this.#nextId++;
    return new Promise<T[M]['result']>((resolve, reject) => {
      const onAbort = (): void => this.send({ type: 'cancel', id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: options.onProgress as ((event: unknown) => void) | undefined,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      this.send({ type: 'request', id, method, params });
    });
  }

  abstract release(): void;

  dispose(): void {
    this.#disposed = true;
    this.failAll(new ServiceCrashedError('inference service stopped (disposed)'));
  }

  protected receive(m: FromService): void {
    const p = this.#pending.get(m.id);
    switch (m.type) {
      case 'progress':
        p?.onProgress?.(m.event);
        return;
      case 'log':
        this.options.onLog?.(m.level, m.message);
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
        p.reject(m.name === CANCELLED ? new CancelledError(m.cancel) : new ServiceRequestError(m.name, m.message, m.code));
        return;
    }
  }

  protected failAll(err: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(err);
    }
  }
}

/** Options of the forked transport. */
export interface ForkedServiceOptions extends ServiceOptions {
  /** The service script (see {@link serviceEntry}). */
  readonly entry?: string;
  /** Extra environment for the child (merged over process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The service's entry script: `service.js` beside this bundle (dist/ for the extension and the
 * CLI), else `main.js` beside this module (out/src/service/ for the tests), else the package's
 * dist/service.js.
 */
export function serviceEntry(): string {
  const candidates = [path.join(__dirname, 'service.js'), path.join(__dirname, 'main.js')];
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      candidates.push(path.join(dir, 'dist', 'service.js'));
      break;
    }
  }
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}

/**
 * The service in a child process: forked on the first call, restarted by the next call after a
 * crash (which fails every pending call with ServiceCrashedError), ended by `release`/`dispose`
 * (a fresh process is the surest way to free GPU memory).
 */
export class ForkedService<T extends MethodTable = ServiceMethods> extends ServiceConnection<T> {
  readonly #entry: string;
  readonly #env: NodeJS.ProcessEnv | undefined;
  #child: ChildProcess | undefined;

  constructor(options: ForkedServiceOptions = {}) {
    super(options);
    this.#entry = options.entry ?? serviceEntry();
    this.#env = options.env;
  }

  /** Process id of the running service, if one is running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  protected send(message: ToService): void {
    // A cancel for a process that is gone has nothing to stop.
    const child = message.type === 'request' ? this.#ensure() : this.#child;
    if (child?.connected) child.send(message);
  }

  release(): void {
    const child = this.#child;
    this.#child = undefined;
    this.failAll(new ServiceCrashedError('inference service restarted (models released)'));
    child?.kill();
  }

  override dispose(): void {
    super.dispose();
    const child = this.#child;
    this.#child = undefined;
    child?.kill();
  }

  #ensure(): ChildProcess {
    if (this.#child) return this.#child;
    const child = fork(this.#entry, [], {
      env: { ...process.env, ...this.#env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
      for (const line of chunk.split('\n')) if (line.trim()) this.options.onLog?.('warn', `inference service: ${line}`);
    });
    child.on('message', (m: FromService) => this.receive(m));
    const onGone = (detail: string): void => {
      if (this.#child !== child) return;
      this.#child = undefined;
      const tail = stderrTail.trim().split('\n').slice(-1)[0];
      this.failAll(new ServiceCrashedError(`inference service ${detail}${tail ? ` (last output: ${tail})` : ''}; it restarts on the next request`));
    };
    child.on('exit', (code, signal) => onGone(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.on('error', (err) => onGone(`failed: ${err.message}`));
    return child;
  }
}
