/** File writes that never leave a half-written file in place of a good one. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp file beside `file`, named so that a crashed writer's leftovers are recognisable. */
function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes and fsyncs a temp file beside `file`; returns its path. */
async function writeTemp(file: string, data: string | Uint8Array): Promise<string> {
  const tmp = tempPath(file);
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

/**
 * Writes `file` atomically unless it exists: a temp file is hard-linked into place, which fails
 * with EEXIST when another writer got there first, so nothing is ever overwritten. On a file
 * system without hard links, an existence check and a rename stand in for the link.
 */
export async function writeFileExclusive(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    try {
      await fs.link(tmp, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      if (await fs.stat(file).then(() => true, () => false)) throw Object.assign(new Error(`EEXIST: file already exists, '${file}'`), { code: 'EEXIST' });
      await fs.rename(tmp, file);
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
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
