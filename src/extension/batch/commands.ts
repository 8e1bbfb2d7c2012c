// The batch command, registered by activate() through the CommandManager.
import type { Command } from '../util/commandManager';
import type { BatchFeature, RenderAllOptions } from './batchFeature';

function isOptions(v: unknown): v is RenderAllOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (o.outDir === undefined || typeof o.outDir === 'string') && (o.resume === undefined || typeof o.resume === 'boolean') && ('outDir' in o || 'resume' in o);
}

export function batchCommands(batch: Pick<BatchFeature, 'renderAll'>): Command[] {
  return [
    // (target?, targets?, options?): renders every prompt of a file, a folder of prompt files, the
    // explorer's multi-selection, or the active editor's selected lines as a resumable batch.
    // Menus pass (uri, uris[]) from the explorer and (uri, context) from editors; tests may pass
    // an options object as the second or third argument. Resolves to the run's outcome.
    {
      id: 'sprightLens.renderAll',
      execute: (target, targets, options) =>
        batch.renderAll(target, isOptions(targets) ? undefined : targets, isOptions(options) ? options : isOptions(targets) ? targets : {}),
    },
  ];
}
