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
    // (index?): shows another candidate of the last best-of render (a quick pick without an index).
    { id: 'sprightLens.pickCandidate', execute: (index) => render.pickCandidate(typeof index === 'number' ? index : undefined) },
    { id: 'sprightLens.saveWithOverlays', execute: () => saveWithOverlays(render) },
    { id: 'sprightLens.selectModel', execute: () => selectModel(config, service) },
    // (name?): picks a checkpoint from the ComfyUI server's list (or takes `name` when it is on it).
    { id: 'sprightLens.selectComfyCheckpoint', execute: (name) => selectComfyCheckpoint(config, service, typeof name === 'string' ? name : undefined) },
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

/**
 * A picker over the checkpoints of the ComfyUI server in sprightLens.render.comfyui.server (from
 * the service's `model/check`, which reads its /object_info); the choice goes to the user's
 * settings with the backend set to comfyui. `name` skips the picker when the server has it.
 */
async function selectComfyCheckpoint(config: Config, service: InferenceService, name?: string): Promise<string | undefined> {
  if (!config.trusted) {
    void vscode.window.showWarningMessage('SPRIGHT Lens: rendering through ComfyUI is off in untrusted workspaces. Trust this workspace to use it.');
    return undefined;
  }
  const { server, allowRemote } = config.render().comfyui;
  const check = await service.call('model/check', { backend: 'comfyui', modelDir: '', comfyui: { server, allowRemote } }).catch((err: unknown) => ({ ok: false as const, problem: err instanceof Error ? err.message : String(err), checkpoints: undefined }));
  const names = check.checkpoints ?? [];
  if (names.length === 0) {
    void vscode.window.showErrorMessage(`SPRIGHT Lens: ${check.ok ? `ComfyUI at ${server} lists no checkpoints` : check.problem}`);
    return undefined;
  }
  let chosen: string | undefined;
  if (name !== undefined) {
    if (!names.includes(name)) {
      void vscode.window.showErrorMessage(`SPRIGHT Lens: ComfyUI at ${server} has no checkpoint ${JSON.stringify(name)}.`);
      return undefined;
    }
    chosen = name;
  } else {
    chosen = await vscode.window.showQuickPick(names, { title: `Checkpoints on ComfyUI at ${server}`, placeHolder: 'Render previews and batches with this checkpoint' });
  }
  if (chosen === undefined) return undefined;
  await config.useComfyCheckpoint(chosen);
  return chosen;
}
