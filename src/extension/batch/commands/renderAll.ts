// sprightLens.renderAll (target?, targets?, options?): renders every prompt of a file, a folder of
// prompt files, the explorer's multi-selection, or the active editor's selected lines as a
// resumable batch (see BatchFeature). Resolves to the run's outcome, for tests.
import type { Command } from '../../util/commandManager';
import type { BatchFeature, BatchRunInfo, RenderAllOptions } from '../batchFeature';

function isOptions(v: unknown): v is RenderAllOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (o.outDir === undefined || typeof o.outDir === 'string') && (o.resume === undefined || typeof o.resume === 'boolean') && ('outDir' in o || 'resume' in o);
}

export class RenderAllCommand implements Command {
  readonly id = 'sprightLens.renderAll';
  readonly #batch: BatchFeature;

  constructor(batch: BatchFeature) {
    this.#batch = batch;
  }

  execute(target?: unknown, targets?: unknown, options?: unknown): Promise<BatchRunInfo | undefined> {
    // Menus pass (uri, uris[]) from the explorer and (uri, context) from editors; tests may pass
    // an options object as the second or third argument.
    const opts = isOptions(options) ? options : isOptions(targets) ? targets : {};
    return this.#batch.renderAll(target, isOptions(targets) ? undefined : targets, opts);
  }
}
