/**
 * The service's handler table: one entry per method of `ServiceMethods` (the compiler checks that
 * none is missing). Handlers load lazily, so a service that only detects never loads the render
 * code and onnxruntime, and one that only renders never loads TF.js.
 */
import type { ServiceMethods } from '../protocol/service';
import type { HandlerTable } from './host';
import type { Backends } from './render';

/** A fresh set of handlers (and of loaded models) for one service. */
export function serviceHandlers(): HandlerTable<ServiceMethods> {
  let backends: Backends | undefined;
  const render = (): typeof import('./render') => require('./render') as typeof import('./render');
  const shared = (): Backends => (backends ??= new (render().Backends)());
  return {
    render: () => render().createRenderHandler(shared()),
    detect: () => (require('./detect') as typeof import('./detect')).createDetectHandler(),
    'model/check': () => render().createModelCheckHandler(shared()),
  };
}
