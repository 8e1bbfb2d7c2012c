/**
 * An append-only JSON-lines file that holds at most one line per key: the coordinator's ledger of
 * finished (manifest.jsonl) and failed images. BullMQ delivers at least once (a stalled job runs
 * again, a coordinator killed between appending and acknowledging sees the same job again), so
 * exactly-once lines come from here: a key already in the file is never appended again.
 *
 * One writer per file (the coordinator holds the output folder's lock); appends are serialised
 * and each line is written with one call, so a kill leaves at worst a cut last line, which the
 * readers report as corrupted and the next run drops.
 */
import { promises as fs } from 'node:fs';

/** The append operation the log needs (the batch's BatchFs provides it; tests inject failures). */
export interface AppendFs {
  appendFile(file: string, data: string): Promise<void>;
}

const nodeAppend: AppendFs = { appendFile: (file, data) => fs.appendFile(file, data, 'utf8') };

export class OnceLog<T> {
  readonly #file: string;
  readonly #keyOf: (record: T) => string;
  readonly #keys: Set<string>;
  readonly #fs: AppendFs;
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * `keys`: the keys the file already holds (read and checked by the caller, who knows the
   * record format); `keyOf`: the key of a record.
   */
  constructor(file: string, keyOf: (record: T) => string, keys: Iterable<string> = [], fsOps: AppendFs = nodeAppend) {
    this.#file = file;
    this.#keyOf = keyOf;
    this.#keys = new Set(keys);
    this.#fs = fsOps;
  }

  get file(): string {
    return this.#file;
  }

  /** Number of keys in the file. */
  get size(): number {
    return this.#keys.size;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /**
   * Appends `record` unless its key is already in the file; resolves to whether it was appended.
   * A failed write leaves the key absent, so the same record can be offered again.
   */
  append(record: T): Promise<boolean> {
    const run = this.#tail.then(async () => {
      const key = this.#keyOf(record);
      if (this.#keys.has(key)) return false;
      await this.#fs.appendFile(this.#file, JSON.stringify(record) + '\n');
      this.#keys.add(key);
      return true;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
