/** File writes that never leave a half-written file in place of a good one. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';

/** This machine's name as temp-file names carry it (letters, digits and '_' only). */
export function tempHost(host = os.hostname()): string {
  return host.replace(/[^A-Za-z0-9_]/g, '_') || 'host';
}

/**
 * The temp name of `file`'s atomic write: `.NAME.HOST-PID-RANDOM.tmp`. The writer's host and PID
 * let a later cleanup tell a dead writer's leftover from a file being written right now.
 */
export function tempName(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${tempHost()}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** The writer of a temp file named by {@link tempName}, or null for any other name. */
export function parseTempName(name: string): { host: string; pid: number } | null {
  const m = /^\..+\.([A-Za-z0-9_]+)-(\d+)-[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]) } : null;
}

/** Writes to a temp file in the same folder, fsyncs, then renames over `file`. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes `data` to `dir/base.ext`, or `base-2.ext`, `base-3.ext`... so that an earlier file is
 * never overwritten. Returns the path written. The exclusive-create flag makes this safe against
 * concurrent writers.
 */
export async function writeFileUnique(dir: string, base: string, ext: string, data: string | Uint8Array): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (let n = 1; n < 100000; n++) {
    const file = path.join(dir, n === 1 ? `${base}${ext}` : `${base}-${n}${ext}`);
    let handle;
    try {
      handle = await fs.open(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(file, { force: true });
      throw err;
    }
    await handle.close();
    return file;
  }
  throw new Error(`no free file name for ${base}${ext} in ${dir}`);
}
