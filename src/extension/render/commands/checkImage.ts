// sprightLens.checkImage (uri?, line?, imageUri?): detects objects in an image and judges the prompt.
import * as vscode from 'vscode';
import type { Command } from '../../util/commandManager';
import type { RenderFeature } from '../renderFeature';

export class CheckImageCommand implements Command {
  readonly id = 'sprightLens.checkImage';
  readonly #render: RenderFeature;

  constructor(render: RenderFeature) {
    this.#render = render;
  }

  execute(uri?: unknown, line?: unknown, imageUri?: unknown): Promise<void> {
    return this.#render.checkImage(uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined, imageUri instanceof vscode.Uri ? imageUri : undefined);
  }
}
