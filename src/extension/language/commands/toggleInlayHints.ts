import * as vscode from 'vscode';
import type { Config } from '../../config';
import type { Command } from '../../util/commandManager';

/** `sprightLens.toggleInlayHints`: flips `sprightLens.inlayHints.enabled` where it is set. */
export class ToggleInlayHintsCommand implements Command {
  readonly id = 'sprightLens.toggleInlayHints';
  readonly #config: Config;

  constructor(config: Config) {
    this.#config = config;
  }

  execute(): Promise<boolean> {
    return this.#config.toggleInlayHints(vscode.window.activeTextEditor?.document);
  }
}
