/**
 * Which workers are alive. Each worker keeps one field of a Redis hash up to date (what it runs,
 * how many images it finished) with a counter that goes up on every beat; the coordinator notes,
 * on its own clock, when each worker's counter last moved. No two machines' clocks are compared.
 */
import type Redis from 'ioredis';

/** How often a worker beats, in ms. */
export const BEAT_MS = 2000;
/** A worker whose counter has not moved for this long is shown as silent. */
export const SILENT_AFTER_MS = 4 * BEAT_MS;
/** A worker silent for this long leaves the list (and the hash). */
export const FORGET_AFTER_MS = 10 * 60_000;

/** What a worker publishes about itself. */
export interface WorkerBeat {
  /** `host:pid` (or the name given with --name). */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** Model folder name (not its path) and execution provider, for people. */
  readonly model: string;
  readonly provider: string;
  readonly concurrency: number;
  /** Counter that moves on every beat. */
  readonly beat: number;
  /** Images this worker finished and failed since it started. */
  readonly done: number;
  readonly failed: number;
  /** Output files of the jobs it is running now. */
  readonly current: readonly string[];
  readonly state: 'waiting' | 'working' | 'stopping';
}

/** A worker as the coordinator sees it. */
export interface WorkerView extends WorkerBeat {
  /** Milliseconds since its counter last moved (coordinator's clock). */
  readonly silentMs: number;
  readonly alive: boolean;
}

/** The hash that holds every worker's beat, beside the queue's own keys. */
export function workersKey(prefix: string, queue: string): string {
  return `${prefix}:${queue}:workers`;
}

/** A worker's side: publishes its state every {@link BEAT_MS} and on every change. */
export class Heartbeat {
  readonly #redis: Redis;
  readonly #key: string;
  #state: Omit<WorkerBeat, 'beat'>;
  #beat = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: Redis, key: string, initial: Omit<WorkerBeat, 'beat'>) {
    this.#redis = redis;
    this.#key = key;
    this.#state = initial;
  }

  start(intervalMs = BEAT_MS): void {
    this.#timer = setInterval(() => void this.publish(), intervalMs);
    this.#timer.unref();
    void this.publish();
  }

  /** Changes what is published and publishes it now. */
  update(change: Partial<Omit<WorkerBeat, 'beat' | 'id'>>): void {
    this.#state = { ...this.#state, ...change };
    void this.publish();
  }

  get state(): Omit<WorkerBeat, 'beat'> {
    return this.#state;
  }

  /** One beat; a Redis outage only delays it (the next beat says the same and more). */
  async publish(): Promise<void> {
    const beat: WorkerBeat = { ...this.#state, beat: ++this.#beat };
    await this.#redis.hset(this.#key, this.#state.id, JSON.stringify(beat)).catch(() => undefined);
  }

  /** Stops beating and removes the worker from the list. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#redis.hdel(this.#key, this.#state.id).catch(() => undefined);
  }
}

function isBeat(v: unknown): v is WorkerBeat {
  const b = v as WorkerBeat | null;
  return !!b && typeof b.id === 'string' && typeof b.beat === 'number' && typeof b.done === 'number' && Array.isArray(b.current);
}

/** The coordinator's side: reads the beats and tracks when each one last moved. */
export class LivenessTracker {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #now: () => number;
  readonly #seen = new Map<string, { beat: number; at: number; last: WorkerBeat }>();

  constructor(redis: Redis, key: string, now: () => number = () => performance.now()) {
    this.#redis = redis;
    this.#key = key;
    this.#now = now;
  }

  /** Reads the hash; workers silent past {@link FORGET_AFTER_MS} are dropped from it. */
  async poll(): Promise<WorkerView[]> {
    const raw = await this.#redis.hgetall(this.#key);
    const now = this.#now();
    for (const [id, text] of Object.entries(raw)) {
      let beat: unknown;
      try {
        beat = JSON.parse(text);
      } catch {
        continue;
      }
      if (!isBeat(beat)) continue;
      const prev = this.#seen.get(id);
      if (!prev || prev.beat !== beat.beat) this.#seen.set(id, { beat: beat.beat, at: now, last: beat });
    }
    // A worker that removed itself (stopped cleanly) or was dropped is no longer listed.
    for (const id of [...this.#seen.keys()]) if (!(id in raw)) this.#seen.delete(id);
    const views: WorkerView[] = [];
    for (const [id, s] of this.#seen) {
      const silentMs = now - s.at;
      if (silentMs > FORGET_AFTER_MS) {
        this.#seen.delete(id);
        await this.#redis.hdel(this.#key, id).catch(() => undefined);
        continue;
      }
      views.push({ ...s.last, silentMs, alive: silentMs <= SILENT_AFTER_MS });
    }
    return views.sort((a, b) => a.id.localeCompare(b.id));
  }
}

/** "gpu1:4242 3 done, working 12_0.png · gpu2:77 silent 40s" for the progress line. */
export function formatWorkers(views: readonly WorkerView[]): string {
  if (views.length === 0) return 'no workers';
  return views
    .map((w) => {
      if (!w.alive) return `${w.id} silent ${Math.round(w.silentMs / 1000)}s`;
      const doing = w.current.length ? `working ${w.current.join(',')}` : w.state;
      return `${w.id} ${w.done} done${w.failed ? `, ${w.failed} failed` : ''}, ${doing}`;
    })
    .join(' · ');
}

/** "2 workers", "3 workers (1 silent)", "no workers yet": for a short progress line. */
export function workerCount(views: readonly WorkerView[]): string {
  if (views.length === 0) return 'no workers yet';
  const silent = views.filter((w) => !w.alive).length;
  return `${views.length} worker${views.length === 1 ? '' : 's'}${silent ? ` (${silent} silent)` : ''}`;
}
