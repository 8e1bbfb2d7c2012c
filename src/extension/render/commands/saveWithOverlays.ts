// sprightLens.saveWithOverlays: writes the shown image with its detected boxes next to it.
import * as vscode from 'vscode';
import type { Command } from '../../util/commandManager';
import type { RenderFeature } from '../renderFeature';

export class SaveWithOverlaysCommand implements Command {
  readonly id = 'sprightLens.saveWithOverlays';
  readonly #render: RenderFeature;

  constructor(render: RenderFeature) {
    this.#render = render;
  }

  async execute(): Promise<string | undefined> {
    const result = await this.#render.saveWithOverlays();
    if (!result.ok) {
      void vscode.window.showErrorMessage(`SPRIGHT Lens: could not save with overlays: ${result.message}.`);
      return undefined;
    }
    void vscode.window.showInformationMessage(`SPRIGHT Lens: saved ${result.file}`);
    return result.file;
  }
}
