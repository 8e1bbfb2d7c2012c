/**
 * Worker methods used only by the worker tests (registered when SPRIGHT_WORKER_TEST_METHODS=1):
 * a step counter that honours cancellation, and ways to die.
 */
import type { Handler } from './handlers';

const steps: Handler = async (params, ctx) => {
  const { total, stepMs } = params as { total: number; stepMs: number };
  for (let i = 1; i <= total; i++) {
    if (ctx.signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    ctx.progress(i, total);
  }
  return { done: total, pid: process.pid };
};

export const testHandlers: Record<string, () => Handler> = {
  'test.steps': () => steps,
  'test.crash': () => () => {
    // Exit outright, as an out-of-memory kill or a native crash would.
    process.exit(3);
  },
  'test.pid': () => () => Promise.resolve(process.pid),
  'test.fail': () => () => Promise.reject(new RangeError('bad params for test.fail')),
};
