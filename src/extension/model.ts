// The render model's state as the panel's first-run card shows it, shared by Render Preview and
// Render All Prompts: the setting (and whether an untrusted workspace's value was ignored) from
// Config, the verdict from the inference service's `model/check`, the check every render makes.
import type * as vscode from 'vscode';
import type { ModelSetupView } from '../protocol/messages';
import type { InferenceService } from '../service';
import type { Config } from './config';

/** `problem` is null when the model can render; `configured` false when no model is set. */
export async function checkModel(config: Config, service: InferenceService, scope: vscode.Uri | undefined): Promise<ModelSetupView> {
  const setup = config.modelSetup(scope);
  if (!setup.configured) return setup;
  try {
    const check = await service.call('model/check', { modelDir: setup.modelPath });
    return check.ok ? setup : { ...setup, problem: `${check.problem} Point sprightLens.render.modelPath at the folder optimum-cli exported, or select another folder.` };
  } catch (err) {
    return { ...setup, problem: `The model could not be checked: ${err instanceof Error ? err.message : String(err)}` };
  }
}
