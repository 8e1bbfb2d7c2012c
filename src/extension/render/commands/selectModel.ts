// sprightLens.selectModel: a folder picker that sets sprightLens.render.modelPath (user settings,
// since a model path from workspace settings is ignored in untrusted workspaces). The folder is
// checked by the inference service's `model/check`, the same check every render makes.
import * as vscode from 'vscode';
import type { InferenceService } from '../../../service';
import type { Config } from '../../config';
import type { Command } from '../../util/commandManager';

export class SelectModelCommand implements Command {
  readonly id = 'sprightLens.selectModel';
  readonly #config: Config;
  readonly #service: InferenceService;

  constructor(config: Config, service: InferenceService) {
    this.#config = config;
    this.#service = service;
  }

  async execute(): Promise<string | undefined> {
    const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Use this model folder', title: 'Folder exported with optimum-cli (holds model_index.json)' });
    const folder = picked?.[0];
    if (!folder) return undefined;
    const check = await this.#service.call('model/check', { modelDir: folder.fsPath }).catch((err: unknown) => ({ ok: false as const, problem: err instanceof Error ? err.message : String(err) }));
    if (!check.ok) {
      const go = await vscode.window.showWarningMessage(`${check.problem} Use it anyway?`, 'Use it anyway', 'Cancel');
      if (go !== 'Use it anyway') return undefined;
    }
    await this.#config.setModelPath(folder.fsPath);
    return folder.fsPath;
  }
}
