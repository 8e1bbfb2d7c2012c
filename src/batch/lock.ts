/**
 * One batch process per output folder. The lock itself is proper-lockfile's (an atomic mkdir kept
 * fresh by mtime updates, taken over when stale on any host); beside it an owner file names the
 * holder's PID and host, so that a second process is refused with a line a person can act on, and
 * a lock left by a killed process on this host is recovered at once instead of after the stale
 * period. Temp files carry their writer's host and PID in their names (see io/atomic.ts), so the
 * start-up cleanup removes only those whose writer is dead.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { parseTempName, tempHost } from '../io/atomic';

/** The lock folder proper-lockfile makes inside the output folder. */
export const LOCK_DIR = '.spright-batch.lock';
/** Who holds the lock: `{pid, host, started}`. */
export const LOCK_OWNER = '.spright-batch.owner.json';

/** Another live process holds the folder. */
export class FolderLockedError extends Error {
  override readonly name = 'FolderLockedError';
}

/** The holder recorded in the owner file. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/** Whether a process with this PID runs on this machine (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(dir: string): Promise<LockOwner | null> {
  try {
    const v = JSON.parse(await fs.readFile(path.join(dir, LOCK_OWNER), 'utf8')) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? { pid: v.pid, host: v.host, started: String(v.started ?? '') }
      : null;
  } catch {
    return null;
  }
}

/** A held folder lock; `release()` is idempotent. */
export interface FolderLock {
  /** Set when the lock was lost (another process took it over): stop writing. */
  readonly compromised: () => Error | null;
  release(): Promise<void>;
}

/** Options of {@link lockFolder}; the defaults suit a batch. */
export interface LockOptions {
  /** A lock not refreshed for this long counts as abandoned (other hosts, or no owner file). */
  staleMs?: number;
  /** Host name to record (tests). */
  host?: string;
}

/**
 * Takes the lock of `dir` (which must exist) or throws FolderLockedError naming the holder.
 * A lock whose recorded owner is a dead process of this host is removed and taken.
 */
export async function lockFolder(dir: string, options: LockOptions = {}): Promise<FolderLock> {
  const host = options.host ?? os.hostname();
  const staleMs = options.staleMs ?? 30_000;
  let lost: Error | null = null;
  const attempt = (): Promise<() => Promise<void>> =>
    lockfile.lock(dir, {
      lockfilePath: path.join(dir, LOCK_DIR),
      stale: staleMs,
      realpath: false,
      // The default throws from a timer and kills the process; the batch checks instead.
      onCompromised: (err) => {
        lost = err;
      },
    });
  let unlock: () => Promise<void>;
  try {
    unlock = await attempt();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    const owner = await readOwner(dir);
    if (owner && owner.host === host && !processAlive(owner.pid)) {
      // Killed without a chance to clean up (SIGKILL, power loss): nobody will ever release it.
      await fs.rm(path.join(dir, LOCK_OWNER), { force: true });
      await fs.rm(path.join(dir, LOCK_DIR), { recursive: true, force: true });
      try {
        unlock = await attempt();
      } catch (again) {
        if ((again as NodeJS.ErrnoException).code === 'ELOCKED') throw lockedError(dir, await readOwner(dir));
        throw again;
      }
    } else {
      throw lockedError(dir, owner);
    }
  }
  const me: LockOwner = { pid: process.pid, host, started: new Date().toISOString() };
  await fs.writeFile(path.join(dir, LOCK_OWNER), JSON.stringify(me) + '\n');
  let released = false;
  return {
    compromised: () => lost,
    async release() {
      if (released) return;
      released = true;
      const owner = await readOwner(dir);
      if (owner && owner.pid === me.pid && owner.host === me.host)
        await fs.rm(path.join(dir, LOCK_OWNER), { force: true });
      await unlock().catch(() => undefined);
    },
  };
}

function lockedError(dir: string, owner: LockOwner | null): FolderLockedError {
  const who = owner
    ? `process ${owner.pid} on ${owner.host}${owner.started ? ` (since ${owner.started})` : ''}`
    : 'another process';
  return new FolderLockedError(
    `${dir} is in use by ${who}; wait for that batch to finish or stop it, or choose another --out folder`,
  );
}

/**
 * Removes temp files of `dir` left by writers that are dead: this host's PIDs that no longer run.
 * Files of live writers and of other hosts are left alone.
 */
export async function removeDeadTempFiles(dir: string, host = tempHost()): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = parseTempName(name);
    if (!owner || owner.host !== host || processAlive(owner.pid)) continue;
    await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}
