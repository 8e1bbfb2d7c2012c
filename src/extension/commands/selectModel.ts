// sprightLens.selectModel: a folder picker that sets sprightLens.render.modelPath (user settings,
// since a model path from workspace settings is ignored in untrusted workspaces).
import * as vscode from 'vscode';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from './commandManager';

export class SelectModelCommand implements Command {
  readonly id = 'sprightLens.selectModel';

  async execute(): Promise<string | undefined> {
    const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Use this model folder', title: 'Folder exported with optimum-cli (holds model_index.json)' });
    const folder = picked?.[0];
    if (!folder) return undefined;
    if (!existsSync(path.join(folder.fsPath, 'model_index.json'))) {
      const go = await vscode.window.showWarningMessage(`${folder.fsPath} has no model_index.json; it does not look like an optimum export of a Stable Diffusion model.`, 'Use it anyway', 'Cancel');
      if (go !== 'Use it anyway') return undefined;
    }
    await vscode.workspace.getConfiguration('sprightLens').update('render.modelPath', folder.fsPath, vscode.ConfigurationTarget.Global);
    return folder.fsPath;
  }
}
