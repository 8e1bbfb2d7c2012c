// The render commands, one table (registered by activate() through the CommandManager): each
// entry names the command and adapts the arguments VS Code passes to the render feature.
import * as vscode from 'vscode';
import type { InferenceService } from '../../service';
import type { Config } from '../config';
import type { Command } from '../util/commandManager';
import type { RenderFeature } from './renderFeature';

const uriArg = (v: unknown): vscode.Uri | undefined => (v instanceof vscode.Uri ? v : undefined);
const lineArg = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export function renderCommands(render: RenderFeature, config: Config, service: InferenceService): Command[] {
  return [
    // (uri?, line?, useRewrite?): renders a prompt through the inference service and shows it.
    { id: 'sprightLens.renderPreview', execute: (uri, line, useRewrite) => render.renderPreview(uriArg(uri), lineArg(line), typeof useRewrite === 'boolean' ? useRewrite : undefined) },
    // (uri?, line?, imageUri?): detects objects in an image and judges the prompt.
    { id: 'sprightLens.checkImage', execute: (uri, line, imageUri) => render.checkImage(uriArg(uri), lineArg(line), uriArg(imageUri)) },
    // Stops the running render (the service stops within one step).
    { id: 'sprightLens.cancelRender', execute: () => render.cancel() },
    { id: 'sprightLens.saveWithOverlays', execute: () => saveWithOverlays(render) },
    { id: 'sprightLens.selectModel', execute: () => selectModel(config, service) },
  ];
}

/** Writes the shown image with its detected boxes next to it. */
async function saveWithOverlays(render: RenderFeature): Promise<string | undefined> {
  const result = await render.saveWithOverlays();
  if (!result.ok) {
    void vscode.window.showErrorMessage(`SPRIGHT Lens: could not save with overlays: ${result.message}.`);
    return undefined;
  }
  void vscode.window.showInformationMessage(`SPRIGHT Lens: saved ${result.file}`);
  return result.file;
}

/**
 * A folder picker that sets sprightLens.render.modelPath (user settings, since a model path from
 * workspace settings is ignored in untrusted workspaces). The folder is checked by the inference
 * service's `model/check`, the same check every render makes.
 */
async function selectModel(config: Config, service: InferenceService): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Use this model folder', title: 'Folder exported with optimum-cli (holds model_index.json)' });
  const folder = picked?.[0];
  if (!folder) return undefined;
  const check = await service.call('model/check', { modelDir: folder.fsPath }).catch((err: unknown) => ({ ok: false as const, problem: err instanceof Error ? err.message : String(err) }));
  if (!check.ok) {
    const go = await vscode.window.showWarningMessage(`${check.problem} Use it anyway?`, 'Use it anyway', 'Cancel');
    if (go !== 'Use it anyway') return undefined;
  }
  await config.setModelPath(folder.fsPath);
  return folder.fsPath;
}
