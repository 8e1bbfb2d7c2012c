/**
 * Output folders checked before any work: a render that takes minutes must not fail at the end
 * because `--out` names a file or a read-only place. File-system failures become one line that
 * names the path, says what is wrong and what to do.
 */
import { constants, promises as fs } from 'node:fs';

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
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, constants.W_OK);
  } catch (err) {
    throw new OutputDirError(`${dir}: cannot write there (${fsProblem(err)}); give ${flag} a folder you can write to`);
  }
}
