// The render model's state as the panel's first-run card shows it, shared by Render Preview and
// Render All Prompts: the setting (and whether an untrusted workspace's value was ignored) from
// Config, the verdict from the inference service's `model/check`, the check every render makes.
import type * as vscode from 'vscode';
import type { ModelSetupView } from '../protocol/messages';
import type { ModelCheckResult } from '../protocol/service';
import type { InferenceService } from '../service';
import type { Config } from './config';

/** `setup.problem` is null and `model` set when the model can render. */
export interface ModelState {
  readonly setup: ModelSetupView;
  readonly model: Extract<ModelCheckResult, { ok: true }> | null;
}

export async function checkModel(config: Config, service: InferenceService, scope: vscode.Uri | undefined): Promise<ModelState> {
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
