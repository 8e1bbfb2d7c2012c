/**
 * Entry point of the inference worker child process (dist/worker.js): receives requests over IPC,
 * runs the registered handler, streams progress, and aborts a request's AbortController when the
 * parent cancels it. Exits when the parent goes away.
 */
import { CANCELLED, type FromWorker, type ToWorker } from './protocol';
import { handlers } from './handlers';

const running = new Map<number, AbortController>();

function send(message: FromWorker): void {
  process.send?.(message);
}

function isCancel(err: unknown, signal: AbortSignal): boolean {
  const name = (err as Error | undefined)?.name;
  return signal.aborted && (name === 'RenderCancelledError' || name === CANCELLED || name === 'AbortError');
}

async function run(id: number, method: string, params: unknown): Promise<void> {
  const load = handlers[method];
  if (!load) {
    send({ type: 'error', id, name: 'UnknownMethodError', message: `the inference worker has no method '${method}' (known: ${Object.keys(handlers).join(', ')})` });
    return;
  }
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const result = await load()(params, {
      signal: controller.signal,
      progress: (step, total) => send({ type: 'progress', id, step, total }),
      log: (level, message) => send({ type: 'log', id, level, message }),
    });
    send({ type: 'result', id, result });
  } catch (err) {
    const e = err as Error;
    if (isCancel(err, controller.signal)) send({ type: 'error', id, name: CANCELLED, message: 'cancelled' });
    else send({ type: 'error', id, name: e?.name ?? 'Error', message: e?.message ?? String(err) });
  } finally {
    running.delete(id);
  }
}

function onMessage(message: ToWorker): void {
  if (message.type === 'request') void run(message.id, message.method, message.params);
  else if (message.type === 'cancel') running.get(message.id)?.abort();
}

if (!process.send) {
  process.stderr.write('spright-lens worker: start me with child_process.fork (no IPC channel)\n');
  process.exit(2);
}
process.on('message', onMessage);
// The parent closing the channel (exit, crash, dispose) ends the worker.
process.on('disconnect', () => process.exit(0));
