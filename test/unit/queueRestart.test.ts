/**
 * Redis killed and restarted in the middle of a queued batch (coordinator and two worker
 * processes on the tiny model): with AOF persistence nothing is lost; without persistence the
 * coordinator notices that the queue is gone and enqueues again every image the manifest lacks.
 * Either way each image ends up once in the manifest. The restart is triggered by a worker's
 * output line, not by time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseManifest } from '../../src/batch';
import { cliBundle, CliProcess } from './helpers/cliProcess';
import { RedisServer, redisMissing } from './helpers/redis';
import { loadableCopy, tinyVariants } from './renderFixture';

const skip = redisMissing() || (tinyVariants().includes('vpred-fp32') ? false : 'no sd-tiny fixture');
const EVENT = /^(start|rendered|done) (\S+) (img-[0-9a-f]+)/;
const SECRET = 'hunter2 sw0rdfish';

for (const appendonly of [true, false]) {
  test(`queue end to end: Redis restarted mid-run ${appendonly ? 'with AOF loses nothing' : 'without persistence: the coordinator enqueues the missing images again'}`, { skip, timeout: 10 * 60_000 }, async (t) => {
    // A password too: it must appear in no output line and in no file of the batch.
    const redis = await RedisServer.start({ appendonly, password: SECRET });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-qrestart-'));
    const model = loadableCopy('vpred-fp32');
    const procs: CliProcess[] = [];
    try {
      const cli = await cliBundle();
      const url = redis.url(0);
      fs.writeFileSync(path.join(root, 'p.txt'), ['a dog to the left of a cat', 'a cup above a book', 'a car below a tree', 'a bird to the right of a clock', 'an apple above a chair', 'a cat below a tree'].join('\n') + '\n');
      const coordinator = new CliProcess('coordinator', cli, ['batch', '--model', model, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '2', '--size', '64x64', '--steps', '2', '--provider', 'cpu', '--queue', url, '--follow'], {}, root);
      procs.push(coordinator);
      await coordinator.waitFor(/images? enqueued/);
      const renders = new Map<string, number>();
      const inFlight = new Set<string>();
      let atRestart = new Set<string>();
      let done = 0;
      let restarted: Promise<void> | undefined;
      // The default 30 s lock: a worker starved of CPU on a loaded machine keeps its job, so a
      // second render can only come from the restart itself.
      const workers = [1, 2].map((n) => new CliProcess(`worker ${n}`, cli, ['worker', '--queue', url, '--model', model, '--provider', 'cpu', '--name', `w${n}`], {}, root));
      procs.push(...workers);
      for (const w of workers) {
        w.onLine((line) => {
          const m = EVENT.exec(line);
          if (!m) return;
          const [, kind, , jobId] = m as unknown as [string, string, string, string];
          if (kind === 'start') inFlight.add(jobId);
          if (kind === 'rendered') renders.set(jobId, (renders.get(jobId) ?? 0) + 1);
          if (kind === 'done') {
            inFlight.delete(jobId);
            if (++done === 4) {
              atRestart = new Set(inFlight);
              restarted = redis.restart('SIGKILL');
            }
          }
        });
      }
      const result = await coordinator.exited;
      await restarted;
      assert.equal(result.code, 0, coordinator.output);
      assert.match(coordinator.output, /12 images finished, 12 in all/);
      const lost = /lost its jobs \(Redis restarted without persistence\?\); enqueued again the \d+ images? not in the manifest/.test(coordinator.output);
      assert.equal(lost, !appendonly, coordinator.output);

      const { records, corrupted } = parseManifest(fs.readFileSync(path.join(root, 'out', 'manifest.jsonl'), 'utf8'));
      assert.deepEqual(corrupted, []);
      assert.equal(records.length, 12);
      assert.equal(new Set(records.map((r) => r.render_key)).size, 12, 'each image once');
      for (const r of records) assert.ok(fs.existsSync(path.join(root, 'out', r.file)), r.file);
      // Rendered once, except a job that was running when Redis went away: its worker could not
      // report it, and (its lock or the whole queue gone) another worker may have taken it.
      for (const [jobId, n] of renders) assert.ok(n <= (atRestart.has(jobId) ? 2 : 1), `${jobId} rendered ${n} times`);

      const outputs = procs.map((p) => p.output).join('\n');
      assert.ok(!outputs.includes(SECRET) && !outputs.includes(encodeURIComponent(SECRET)), 'no password in any output');
      for (const f of fs.readdirSync(path.join(root, 'out'), { recursive: true }) as string[]) {
        const full = path.join(root, 'out', f);
        if (fs.statSync(full).isFile()) assert.ok(!fs.readFileSync(full).includes(SECRET), `no password in ${f}`);
      }

      // Ctrl-C (SIGTERM) stops a worker cleanly.
      for (const w of workers) w.kill('SIGTERM');
      for (const w of workers) assert.equal((await w.exited).code, 0, w.output);
      t.diagnostic(`${[...renders.values()].reduce((a, b) => a + b, 0)} renders for 12 images; ${atRestart.size} running at the restart`);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await redis.stop();
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(model, { recursive: true, force: true });
    }
  });
}
