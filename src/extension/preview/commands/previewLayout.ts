// sprightLens.previewLayout (uri?, line?): opens the preview panel on a prompt's planned layout.
import * as vscode from 'vscode';
import type { Command } from '../../util/commandManager';
import type { PreviewController } from '../previewController';

export class PreviewLayoutCommand implements Command {
  readonly id = 'sprightLens.previewLayout';
  readonly #controller: PreviewController;

  constructor(controller: PreviewController) {
    this.#controller = controller;
  }

  execute(uri?: unknown, line?: unknown): void {
    this.#controller.show(uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined);
  }
}
