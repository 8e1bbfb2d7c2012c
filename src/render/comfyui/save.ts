/** Writing a ComfyUI render to disk: our names, never ComfyUI's numbering, never half a file. */
import { writeFileUnique } from '../../io/atomic';
import type { ComfyRenderResult } from './client';

/**
 * Writes each PNG of `result` to `dir/base.png` (`base-2.png`, `base-3.png`... when taken, as
 * the ONNX backend does), each file complete or absent. The name is ours (default
 * `render-<seed>`), never ComfyUI's file name or counter. Returns the paths.
 */
export async function saveComfyRender(
  result: ComfyRenderResult,
  dir: string,
  base = `render-${result.text.seed}`,
): Promise<string[]> {
  const files: string[] = [];
  for (const png of result.png) files.push(await writeFileUnique(dir, base, '.png', png));
  return files;
}
