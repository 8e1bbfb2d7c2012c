/** The inference service's transports: typed calls, progress, cancel, crash and errors, forked and in-process. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, ForkedService, ServiceCrashedError, ServiceRequestError } from '../../src/service';
import { InProcessService } from '../../src/service/inProcess';
import { serviceHandlers } from '../../src/service/methods';
import { testHandlers, type TestMethods } from '../../src/service/testMethods';
import type { ServiceMethods } from '../../src/protocol/service';
import { serviceBundle } from './helpers/service';

type Methods = ServiceMethods & TestMethods;
const clients: Array<{ dispose(): void }> = [];

after(() => {
  for (const c of clients) c.dispose();
});

async function forked(): Promise<ForkedService<Methods>> {
  const c = new ForkedService<Methods>({ entry: await serviceBundle(), env: { SPRIGHT_SERVICE_TEST_METHODS: '1' } });
  clients.push(c);
  return c;
}

function inProcess(): InProcessService<Methods> {
  const c = new InProcessService<Methods>({}, () => ({ ...serviceHandlers(), ...testHandlers, 'test.crash': testHandlers['test.pid'] as never }));
  clients.push(c);
  return c;
}

for (const [name, make] of [
  ['forked', forked],
  ['in-process', async () => inProcess()],
] as const) {
  test(`${name}: progress events arrive in order, then the result`, async () => {
    const c = await make();
    const seen: string[] = [];
    const result = await c.call('test.steps', { total: 5, stepMs: 5 }, { onProgress: (e) => seen.push(`${e.step}/${e.total}`) });
    assert.equal(result.done, 5);
    assert.deepEqual(seen, ['1/5', '2/5', '3/5', '4/5', '5/5']);
  });

  test(`${name}: a cancel stops the method within one step of where the service saw it`, async () => {
    const c = await make();
    const controller = new AbortController();
    const run = c.call('test.steps', { total: 1000, stepMs: 2 }, { signal: controller.signal, onProgress: (e) => e.step === 3 && controller.abort() });
    const err = await run.then(
      () => assert.fail('the call finished although it was cancelled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledError, String(err));
    // The service's own record: no IPC latency or queued progress in these figures.
    const { stepAtCancel, lastStep } = err.report;
    assert.ok(stepAtCancel !== null && lastStep !== null, JSON.stringify(err.report));
    assert.ok(stepAtCancel >= 3, `the cancel was sent after step 3, the service saw it at ${stepAtCancel}`);
    assert.ok(lastStep - stepAtCancel <= 1, `ran ${lastStep - stepAtCancel} steps after seeing the cancel (${JSON.stringify(err.report)})`);
    assert.equal(typeof (await c.call('test.pid', {})), 'number', 'the service stays usable');
  });

  test(`${name}: handler errors, unknown methods and bad params come back with their names`, async () => {
    const c = await make();
    await assert.rejects(c.call('test.fail', {}), (e: unknown) => e instanceof ServiceRequestError && e.remoteName === 'RangeError' && /bad params/.test(e.message));
    await assert.rejects((c as unknown as ForkedService<Record<string, { params: unknown; progress: never; result: unknown }>>).call('nope', {}), (e: unknown) => e instanceof ServiceRequestError && e.remoteName === 'UnknownMethodError' && /no method 'nope'/.test(e.message));
    await assert.rejects(c.call('render', { prompt: 1 } as never), (e: unknown) => e instanceof ServiceRequestError && /'modelDir' must be a string/.test(e.message));
    await assert.rejects(c.call('model/check', {} as never), (e: unknown) => e instanceof ServiceRequestError && /'modelDir' must be a string/.test(e.message));
  });

  test(`${name}: an already-aborted signal rejects without starting work`, async () => {
    const c = await make();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(c.call('test.pid', {}, { signal: controller.signal }), CancelledError);
  });
}

test('forked: a crash fails every pending call, and the next call starts a new process', async () => {
  const c = await forked();
  const firstPid = await c.call('test.pid', {});
  const slow = c.call('test.steps', { total: 50, stepMs: 50 });
  const crash = c.call('test.crash', {});
  await assert.rejects(crash, (e: unknown) => e instanceof ServiceCrashedError && /exited with code 3/.test((e as Error).message));
  await assert.rejects(slow, ServiceCrashedError);
  const secondPid = await c.call('test.pid', {});
  assert.notEqual(secondPid, firstPid);
});

test('forked: release ends the process (the next call starts another); dispose kills it for good', async () => {
  const c = await forked();
  const pid = await c.call('test.pid', {});
  c.release();
  const next = await c.call('test.pid', {});
  assert.notEqual(next, pid);
  c.dispose();
  // The child is asked to die; `exit` may come a moment later.
  for (let i = 0; i < 100 && isAlive(next); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(isAlive(next), false);
  await assert.rejects(c.call('test.pid', {}), /disposed/);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
