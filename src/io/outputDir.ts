/**
 * Output folders checked before any work: a render that takes minutes must not fail at the end
 * because `--out` names a file or a read-only place. File-system failures become one line that
 * names the path, says what is wrong and what to do.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';

/** An output folder that cannot be used; the message is one line for a person. */
export class OutputDirError extends Error {
  override readonly name = 'OutputDirError';
}

/** Why a file-system call failed, in words, from its error code. */
export function fsProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left on the device';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EEXIST':
      return 'a file of that name is in the way';
    case 'ENOENT':
      return 'a parent folder is missing and cannot be made (removed, or on a read-only file system)';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ELOOP':
      return 'the path has a symbolic link loop';
    default:
      return e.code ? `${e.code}` : String(e.message ?? err);
  }
}

/**
 * `mkdir -p` one level at a time. Node's `mkdir(dir, {recursive: true})` retries forever when a
 * file system answers ENOENT for a folder whose parent exists (/proc, some FUSE and read-only
 * mounts); here that error surfaces at once.
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if ((await fs.stat(d)).isDirectory()) break;
      throw Object.assign(new Error(`${d} is a file`), { code: 'ENOTDIR' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Makes `dir` (and its parents) if needed and checks that files can be written in it; throws
 * OutputDirError otherwise. `flag` is how the user named it ("--out").
 */
export async function prepareOutputDir(dir: string, flag = '--out'): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch {
    stat = null;
  }
  if (stat && !stat.isDirectory())
    throw new OutputDirError(`${dir}: is a file; ${flag} takes a folder (made if needed): give another path`);
  try {
    await makeDirs(dir);
    await fs.access(dir, constants.W_OK);
  } catch (err) {
    throw new OutputDirError(`${dir}: cannot write there (${fsProblem(err)}); give ${flag} a folder you can write to`);
  }
}
