import * as vscode from 'vscode';
import * as config from '../config';
import type { Command } from './commandManager';

/** `sprightLens.toggleInlayHints`: flips `sprightLens.inlayHints.enabled` where it is set. */
export class ToggleInlayHintsCommand implements Command {
  readonly id = 'sprightLens.toggleInlayHints';

  async execute(): Promise<boolean> {
    const scope = vscode.window.activeTextEditor?.document;
    const cfg = vscode.workspace.getConfiguration(config.SECTION, scope);
    const info = cfg.inspect<boolean>('inlayHints.enabled');
    // Change the value at the level that currently decides it, so the toggle always takes effect.
    const targetLevel =
      info?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : info?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    const next = !config.inlayHintsEnabled(scope);
    await cfg.update('inlayHints.enabled', next, targetLevel);
    return next;
  }
}
