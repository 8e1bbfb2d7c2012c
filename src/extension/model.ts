// The render model's state as the panel's first-run card shows it, shared by Render Preview and
// Render All Prompts: the settings (and whether an untrusted workspace's value was ignored) from
// Config, the verdict from the inference service's `model/check`, the check every render makes.
// With the `comfyui` backend the "model" is a checkpoint on the user's ComfyUI server.
import type * as vscode from 'vscode';
import type { ModelSetupView } from '../protocol/messages';
import type { ComfyTarget, ModelCheckResult, RenderBackendName } from '../protocol/service';
import type { InferenceService } from '../service';
import type { Config, RenderSettings } from './config';

/** `setup.problem` is null and `model` set when the model can render. */
export interface ModelState {
  readonly setup: ModelSetupView;
  readonly model: Extract<ModelCheckResult, { ok: true }> | null;
}

/** What a `render` call names as its model: the backend, the checked folder or checkpoint, the server. */
export interface RenderTarget {
  readonly backend: RenderBackendName;
  readonly modelDir: string;
  readonly comfyui?: ComfyTarget;
}

/** The render params' model fields: the backend of `settings`, and `modelDir` as `checkModel` resolved it (its `dir`). */
export function renderTarget(settings: RenderSettings, modelDir: string): RenderTarget {
  if (settings.backend !== 'comfyui') return { backend: 'onnx', modelDir };
  return { backend: 'comfyui', modelDir, comfyui: comfyTarget(settings) };
}

function comfyTarget(settings: RenderSettings): ComfyTarget {
  return { server: settings.comfyui.server, allowRemote: settings.comfyui.allowRemote };
}

export async function checkModel(config: Config, service: InferenceService, scope: vscode.Uri | undefined): Promise<ModelState> {
  const settings = config.render(scope);
  if (settings.backend === 'comfyui') return checkComfy(config, service, settings);
  const setup = config.modelSetup(scope);
  if (!setup.configured) return { setup, model: null };
  try {
    const check = await service.call('model/check', { modelDir: setup.modelPath });
    if (check.ok) return { setup, model: check };
    return { setup: { ...setup, problem: `${check.problem} Point sprightLens.render.modelPath at the folder optimum-cli exported, or select another folder.` }, model: null };
  } catch (err) {
    return { setup: { ...setup, problem: `The model could not be checked: ${err instanceof Error ? err.message : String(err)}` }, model: null };
  }
}

async function checkComfy(config: Config, service: InferenceService, settings: RenderSettings): Promise<ModelState> {
  const { server, checkpoint } = settings.comfyui;
  const setup: ModelSetupView = { configured: true, modelPath: `${checkpoint || 'the only checkpoint'} on ComfyUI at ${server}`, problem: null, ignoredUntrusted: false };
  // A workspace could point the editor at any server and send it every prompt: an untrusted one
  // cannot render through ComfyUI at all.
  if (!config.trusted) {
    return { setup: { ...setup, problem: 'Rendering through ComfyUI is off in untrusted workspaces. Trust this workspace (Manage Workspace Trust), or set sprightLens.render.backend to onnx.' }, model: null };
  }
  try {
    const check = await service.call('model/check', { backend: 'comfyui', modelDir: checkpoint, comfyui: comfyTarget(settings) });
    if (check.ok) return { setup, model: check };
    return { setup: { ...setup, problem: `${check.problem} (settings sprightLens.render.comfyui.server and .checkpoint)` }, model: null };
  } catch (err) {
    return { setup: { ...setup, problem: `ComfyUI could not be checked: ${err instanceof Error ? err.message : String(err)}` }, model: null };
  }
}
