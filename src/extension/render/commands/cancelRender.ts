// sprightLens.cancelRender: stops the running render (the worker stops within one step).
import type { Command } from '../../util/commandManager';
import type { RenderFeature } from '../renderFeature';

export class CancelRenderCommand implements Command {
  readonly id = 'sprightLens.cancelRender';
  readonly #render: RenderFeature;

  constructor(render: RenderFeature) {
    this.#render = render;
  }

  execute(): void {
    this.#render.cancel();
  }
}
