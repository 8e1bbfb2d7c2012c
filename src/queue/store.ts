/**
 * Content-addressed image files of a queued batch. A worker writes each image once, as
 * `.spright-queue/{key}.png` in the output folder (or in its own temporary folder when it cannot
 * see the output folder), by hard-linking a finished temp file into place: the link fails when the
 * file exists, so a job that runs twice (BullMQ is at-least-once) never writes its image twice, and
 * a re-run finds the image and only judges it. The coordinator then links each image to its batch
 * name (`3_0.png`), replacing atomically whatever stale file had that name.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { noHardLinks, tempName, writeFileAtomic, writeFileExclusive } from '../io/atomic';

/** The folder in the output folder where workers put finished images. */
export const STAGE_DIR = '.spright-queue';
/** Marker in {@link STAGE_DIR} naming the batch it belongs to: a worker writes only where it matches. */
export const STAGE_MARKER = 'batch.json';

/** Whether the bytes look like a whole PNG (signature, and IEND at the end). */
export function completePng(bytes: Buffer | null | undefined): boolean {
  if (!bytes || bytes.length < 20) return false;
  return bytes.readUInt32BE(0) === 0x89504e47 && bytes.subarray(bytes.length - 8, bytes.length - 4).toString('latin1') === 'IEND';
}

/** The bytes of a file, or null when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The content-addressed file of image `key` in a stage folder. */
export function stagedFile(stageDir: string, key: string): string {
  if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`not an image key: ${JSON.stringify(key)}`);
  return path.join(stageDir, `${key}.png`);
}

/** Writes `data` to `dest` once (temp file, fsync, exclusive link): 'existing' when another writer had. */
export async function writeExclusive(dest: string, data: Uint8Array): Promise<'committed' | 'existing'> {
  try {
    await writeFileExclusive(dest, data);
    return 'committed';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'existing';
    throw err;
  }
}

/**
 * Puts the staged image at its batch name: a hard link (no copy, the same bytes) made under a temp
 * name and renamed over `final`, so `final` is always either the old file or the whole new one.
 */
export async function placeFinal(staged: string, final: string): Promise<void> {
  await fs.mkdir(path.dirname(final), { recursive: true });
  const tmp = tempName(final);
  try {
    await fs.link(staged, tmp);
  } catch (err) {
    // File systems without hard links: a copy under the temp name does the same, at a copy's cost.
    if (!noHardLinks(err) && (err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await fs.copyFile(staged, tmp);
  }
  try {
    await fs.rename(tmp, final);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** The marker's content. */
interface Marker {
  batchId: string;
}

/** Makes the output folder's stage folder for `batchId` (the coordinator, before enqueueing). */
export async function prepareStage(out: string, batchId: string): Promise<string> {
  const dir = path.join(out, STAGE_DIR);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, STAGE_MARKER), JSON.stringify({ batchId } satisfies Marker) + '\n');
  return dir;
}

/**
 * The stage folder of `out` when this machine sees it and it belongs to `batchId`, else null (the
 * worker then sends its images back through Redis). A worker never creates the folder: writing
 * only where a coordinator prepared one keeps jobs from choosing where files go.
 */
export async function sharedStage(out: string, batchId: string): Promise<string | null> {
  if (!path.isAbsolute(out)) return null;
  const dir = path.join(out, STAGE_DIR);
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, STAGE_MARKER), 'utf8')) as Partial<Marker>;
    if (m.batchId !== batchId) return null;
    await fs.access(dir, fs.constants.W_OK);
    return dir;
  } catch {
    return null;
  }
}

/** Removes the stage folder once every image has its batch name (the links there are the same files). */
export async function removeStage(out: string): Promise<void> {
  await fs.rm(path.join(out, STAGE_DIR), { recursive: true, force: true });
}
