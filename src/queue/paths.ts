/**
 * Where a queue job may write. A job arrives from Redis, which anyone holding the password can
 * write to, so the file it names is checked before anything touches the disk: a relative path of
 * plain name characters, inside the output folder even after symbolic links are followed.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** A job named a file outside its output folder, or a file name that is not one of ours. */
export class PathEscapeError extends Error {
  override readonly name = 'PathEscapeError';
}

/** One path segment of a batch image name: `{prompt_id}_{k}.png`, ids made of these characters. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/**
 * The absolute path of `rel` inside `root`, or PathEscapeError. Allowed: one or two segments of
 * letters, digits, `_`, `.` and `-` (no leading dot), ending in `.png`: what batch names its images
 * (`3_0.png`, `rewrite/3_0.png`). Everything else (`..`, absolute paths, backslashes, NUL, hidden
 * files) is refused without looking at the disk.
 */
export function confinedPath(root: string, rel: unknown): string {
  const shown = JSON.stringify(typeof rel === 'string' ? rel.slice(0, 200) : rel);
  if (typeof rel !== 'string' || rel.length === 0) throw new PathEscapeError(`the job names no output file (${shown})`);
  const parts = rel.split('/');
  const plain = parts.length <= 2 && parts.every((p) => SEGMENT.test(p)) && rel.endsWith('.png');
  const base = path.resolve(root);
  const full = path.resolve(base, rel);
  if (!plain || !full.startsWith(base + path.sep)) {
    throw new PathEscapeError(`the job names ${shown}, which is not an image file inside the output folder; refused`);
  }
  return full;
}

/**
 * Like {@link confinedPath}, and also checks on disk that the file's folder, with symbolic links
 * resolved, is still inside `root` (a link `rewrite -> /etc` must not carry writes out).
 */
export async function confinedPathOnDisk(root: string, rel: unknown): Promise<string> {
  const full = confinedPath(root, rel);
  const realRoot = await fs.realpath(root);
  let dir: string;
  try {
    dir = await fs.realpath(path.dirname(full));
  } catch (err) {
    // A folder that does not exist yet cannot be a link; the check above covers its name.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return full;
    throw err;
  }
  if (dir !== realRoot && !dir.startsWith(realRoot + path.sep)) {
    throw new PathEscapeError(`the job's file ${JSON.stringify(rel)} lies in ${dir}, outside the output folder (a symbolic link); refused`);
  }
  return full;
}
