/** The queue's file handling: path confinement, write-once images, the exactly-once ledger, worker liveness. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OnceLog } from '../../src/queue/onceLog';
import { confinedPath, confinedPathOnDisk, PathEscapeError } from '../../src/queue/paths';
import { checkJobData, JobDataError } from '../../src/queue/protocol';
import { commitExclusive } from '../../src/io/atomic';
import { placeFinal, prepareStage, sharedStage, STAGE_DIR, writeExclusive } from '../../src/queue/store';
import { formatWorkers, LivenessTracker, SILENT_AFTER_MS } from '../../src/queue/liveness';

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-qfiles-'));
  temps.push(d);
  return d;
};

test('confinement: batch image names pass; escapes, absolute paths and odd names are refused', () => {
  const root = '/data/out';
  assert.equal(confinedPath(root, '3_0.png'), '/data/out/3_0.png');
  assert.equal(confinedPath(root, 'rewrite/set-12_3.png'), '/data/out/rewrite/set-12_3.png');
  for (const bad of ['../../etc/passwd.png', '../x.png', '/etc/x.png', 'a/../../x.png', 'a/b/c.png', '.hidden.png', 'x.png\0', 'a\\..\\x.png', 'x.txt', '', 'rewrite/./x.png', 42, null]) {
    assert.throws(() => confinedPath(root, bad), PathEscapeError, JSON.stringify(bad));
  }
});

test('confinement: a symbolic link out of the output folder is refused on disk', async () => {
  const root = tmp();
  const outside = tmp();
  fs.symlinkSync(outside, path.join(root, 'rewrite'));
  await assert.rejects(confinedPathOnDisk(root, 'rewrite/1_0.png'), (err: Error) => err instanceof PathEscapeError && /outside the output folder \(a symbolic link\)/.test(err.message));
  assert.equal(await confinedPathOnDisk(root, '1_0.png'), path.join(root, '1_0.png'));
  assert.equal(await confinedPathOnDisk(root, 'new/1_0.png'), path.join(root, 'new', '1_0.png'));
});

test('write-once: the first commit wins, a second writer keeps the first file and its temp is gone', async () => {
  const dir = tmp();
  const dest = path.join(dir, 'a.png');
  assert.equal(await writeExclusive(dest, Buffer.from('first')), 'committed');
  assert.equal(await writeExclusive(dest, Buffer.from('second')), 'existing');
  assert.equal(fs.readFileSync(dest, 'utf8'), 'first');
  const t = path.join(dir, 'tmp');
  fs.writeFileSync(t, 'third');
  assert.equal(await commitExclusive(t, dest), 'existing');
  assert.deepEqual(fs.readdirSync(dir), ['a.png']);
});

test('placing: the batch name is replaced atomically by a link to the staged image', async () => {
  const dir = tmp();
  const staged = path.join(dir, 'staged.png');
  fs.writeFileSync(staged, 'new image');
  fs.writeFileSync(path.join(dir, '1_0.png'), 'stale image');
  await placeFinal(staged, path.join(dir, '1_0.png'));
  assert.equal(fs.readFileSync(path.join(dir, '1_0.png'), 'utf8'), 'new image');
  assert.equal(fs.statSync(path.join(dir, '1_0.png')).ino, fs.statSync(staged).ino, 'a hard link, not a copy');
  await placeFinal(staged, path.join(dir, 'rewrite', '1_0.png'));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['1_0.png', 'rewrite', 'staged.png']);
});

test('stage: a worker writes only into a folder prepared for its batch', async () => {
  const out = tmp();
  assert.equal(await sharedStage(out, 'aaaa1111'), null, 'no stage folder: nothing is created');
  assert.equal(fs.existsSync(path.join(out, STAGE_DIR)), false);
  const dir = await prepareStage(out, 'aaaa1111');
  assert.equal(await sharedStage(out, 'aaaa1111'), dir);
  assert.equal(await sharedStage(out, 'bbbb2222'), null, 'another batch');
  assert.equal(await sharedStage('relative/out', 'aaaa1111'), null);
});

test('once-log: a key is appended once, also when offered concurrently; a failed write can be retried', async () => {
  const dir = tmp();
  const file = path.join(dir, 'm.jsonl');
  fs.writeFileSync(file, JSON.stringify({ k: 'a' }) + '\n');
  let fail = false;
  const log = new OnceLog<{ k: string; n?: number }>(file, (r) => r.k, ['a'], {
    appendFile: async (f, d) => {
      if (fail) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      await fs.promises.appendFile(f, d);
    },
  });
  const results = await Promise.all([log.append({ k: 'a' }), log.append({ k: 'b', n: 1 }), log.append({ k: 'b', n: 2 }), log.append({ k: 'c' })]);
  assert.deepEqual(results, [false, true, false, true]);
  fail = true;
  await assert.rejects(log.append({ k: 'd' }), /no space/);
  assert.equal(log.has('d'), false);
  fail = false;
  assert.equal(await log.append({ k: 'd' }), true);
  assert.deepEqual(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { k: string }).k), ['a', 'b', 'c', 'd']);
});

test('job data: the envelope is checked before anything is done with it', () => {
  const key = '0123456789abcdef0123456789abcdef';
  const ok = { v: 1, batchId: 'b0b0b0b0-0000', key, file: '1_0.png', payload: {} };
  assert.equal(checkJobData(`img-${key}`, ok).key, key);
  const cases: Array<[string, unknown, RegExp]> = [
    [`img-${key}`, null, /not an object/],
    [`img-${key}`, { ...ok, v: 2 }, /another version of spright-lens/],
    [`img-${key}`, { ...ok, key: 'ZZ' }, /bad image key/],
    ['img-ffffffffffffffff', ok, /id does not match its image key/],
    [`img-${key}`, { ...ok, batchId: '../x' }, /no batch id/],
  ];
  for (const [id, data, why] of cases) assert.throws(() => checkJobData(id, data), (err: Error) => err instanceof JobDataError && why.test(err.message));
});

test('liveness: a worker is alive while its beat counter moves, on the coordinator\'s clock', async () => {
  const hash = new Map<string, string>();
  const fake = {
    hgetall: async () => Object.fromEntries(hash),
    hdel: async (_k: string, id: string) => Number(hash.delete(id)),
  };
  let now = 0;
  const tracker = new LivenessTracker(fake as never, 'k', () => now);
  const beat = (id: string, n: number, current: string[] = []): void =>
    void hash.set(id, JSON.stringify({ id, host: 'h', pid: 1, model: 'm', provider: 'cpu', concurrency: 1, beat: n, done: n, failed: 0, current, state: current.length ? 'working' : 'waiting' }));
  beat('gpu1:1', 1, ['3_0.png']);
  beat('gpu2:2', 1);
  assert.deepEqual((await tracker.poll()).map((w) => [w.id, w.alive]), [['gpu1:1', true], ['gpu2:2', true]]);
  now += SILENT_AFTER_MS + 1;
  beat('gpu1:1', 2, ['4_0.png']);
  const views = await tracker.poll();
  assert.deepEqual(views.map((w) => [w.id, w.alive]), [['gpu1:1', true], ['gpu2:2', false]]);
  assert.equal(formatWorkers(views), `gpu1:1 2 done, working 4_0.png · gpu2:2 silent ${Math.round((SILENT_AFTER_MS + 1) / 1000)}s`);
  hash.delete('gpu2:2');
  assert.deepEqual((await tracker.poll()).map((w) => w.id), ['gpu1:1'], 'a worker that stopped cleanly leaves the list');
});
