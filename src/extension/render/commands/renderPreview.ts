// sprightLens.renderPreview (uri?, line?, useRewrite?): renders a prompt in the worker and shows it.
import * as vscode from 'vscode';
import type { Command } from '../../util/commandManager';
import type { RenderFeature } from '../renderFeature';

export class RenderPreviewCommand implements Command {
  readonly id = 'sprightLens.renderPreview';
  readonly #render: RenderFeature;

  constructor(render: RenderFeature) {
    this.#render = render;
  }

  execute(uri?: unknown, line?: unknown, useRewrite?: unknown): Promise<void> {
    return this.#render.renderPreview(uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined, typeof useRewrite === 'boolean' ? useRewrite : undefined);
  }
}
