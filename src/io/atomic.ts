/** File writes that never leave a half-written file in place of a good one. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes to a temp file in the same folder, fsyncs, then renames over `file`. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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
