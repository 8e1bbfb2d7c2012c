/**
 * Entry point of the forked inference service (dist/service.js): receives requests over IPC and
 * answers through the same host the in-process service uses. Exits when the parent goes away.
 */
import type { FromService, MethodTable, ToService } from '../protocol/service';
import { ServiceHost, type HandlerTable } from './host';
import { serviceHandlers } from './methods';

if (!process.send) {
  process.stderr.write('spright-lens inference service: start me with child_process.fork (no IPC channel)\n');
  process.exit(2);
}

const handlers: HandlerTable<MethodTable> = { ...(serviceHandlers() as unknown as HandlerTable<MethodTable>) };
// Methods that hang, crash or count steps, for the service's own tests; never in production.
if (process.env.SPRIGHT_SERVICE_TEST_METHODS === '1') {
  Object.assign(handlers, (require('./testMethods') as typeof import('./testMethods')).testHandlers);
}
const host = new ServiceHost(handlers, (message: FromService) => process.send?.(message));
process.on('message', (message: ToService) => host.receive(message));
// The parent closing the channel (exit, crash, dispose) ends the service.
process.on('disconnect', () => process.exit(0));
