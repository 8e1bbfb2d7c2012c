/**
 * Methods used only by the service's own tests (registered when SPRIGHT_SERVICE_TEST_METHODS=1):
 * a step counter that honours cancellation, and ways to die.
 */
import type { Method } from '../protocol/service';
import type { HandlerTable, MethodHandler } from './host';

/** The test methods, as a method table a test client can be typed with. */
export type TestMethods = {
  'test.steps': Method<{ total: number; stepMs: number }, { step: number; total: number }, { done: number; pid: number }>;
  'test.crash': Method<Record<string, never>, never, never>;
  'test.pid': Method<Record<string, never>, never, number>;
  'test.fail': Method<Record<string, never>, never, never>;
};

function plain<P, E, R>(run: MethodHandler<P, E, R>['run']): () => MethodHandler<P, E, R> {
  return () => ({ validate: (p) => p as P, run });
}

export const testHandlers: HandlerTable<TestMethods> = {
  'test.steps': plain(async ({ total, stepMs }, ctx) => {
    for (let i = 1; i <= total; i++) {
      if (ctx.signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      ctx.progress({ step: i, total });
    }
    return { done: total, pid: process.pid };
  }),
  // Exit outright, as an out-of-memory kill or a native crash would.
  'test.crash': plain(() => process.exit(3)),
  'test.pid': plain(() => Promise.resolve(process.pid)),
  'test.fail': plain(() => Promise.reject(new RangeError('bad params for test.fail'))),
};
