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

/** Writes and fsyncs a temp file beside `file` (named by {@link tempName}); returns its path. */
async function writeTemp(file: string, data: string | Uint8Array): Promise<string> {
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
  return tmp;
}

/** Writes to a temp file in the same folder, fsyncs, then renames over `file`. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Whether `err` is a file system's way of saying it has no hard links (EPERM on FAT, ENOTSUP...). */
export function noHardLinks(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS';
}

/**
 * Links the finished file `tmp` to `dest` unless `dest` exists, then removes `tmp`: the link fails
 * when another writer got there first, so nothing is ever overwritten. On a file system without
 * hard links, an existence check and a rename stand in for the link. Resolves to 'committed' when
 * this call made `dest`, 'existing' when another writer had (its file is kept).
 */
export async function commitExclusive(tmp: string, dest: string): Promise<'committed' | 'existing'> {
  try {
    await fs.link(tmp, dest);
    return 'committed';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'existing';
    if (!noHardLinks(err)) throw err;
    if (await fs.stat(dest).then(() => true, () => false)) return 'existing';
    await fs.rename(tmp, dest);
    return 'committed';
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Writes `file` atomically unless it exists ({@link commitExclusive}); EEXIST when it does. */
export async function writeFileExclusive(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(file, data);
  if ((await commitExclusive(tmp, file)) === 'existing') throw Object.assign(new Error(`EEXIST: file already exists, '${file}'`), { code: 'EEXIST' });
}

/**
 * Writes `data` to `dir/base.ext`, or `base-2.ext`, `base-3.ext`... so that an earlier file is
 * never overwritten. Returns the path written. Each attempt is an exclusive atomic write, so this
 * is safe against concurrent writers and never leaves a partial file under a final name.
 */
export async function writeFileUnique(dir: string, base: string, ext: string, data: string | Uint8Array): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (let n = 1; n < 100000; n++) {
    const file = path.join(dir, n === 1 ? `${base}${ext}` : `${base}-${n}${ext}`);
    try {
      await writeFileExclusive(file, data);
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`no free file name for ${base}${ext} in ${dir}`);
}
