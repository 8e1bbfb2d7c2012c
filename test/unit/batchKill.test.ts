/**
 * Kill-in-the-middle and resume: the batch runs in a child process (this same file in child
 * mode), gets SIGKILLed mid-run, then a second run finishes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseManifest, runBatch } from '../../src/batch';
import type { BatchOptions } from '../../src/batch';
import { fakeDeps, prompt, SIZE } from '../fixtures/evaluate/batchFakes';

const CHILD = process.env.SPRIGHT_BATCH_CHILD;

function childOptions(outDir: string): BatchOptions {
  return {
    prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book'), prompt('2', 'car', 'tree')],
    outDir,
    imagesPerPrompt: 3,
    seed: 5,
    rewrite: 'both',
    render: { model: 'fake', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim', modelId: 'fake-model' },
      detection: { detector: 'fake', threshold: 0 },
  };
}

if (CHILD) {
  // Child mode: log every render start (outside the output folder), then run the batch. With
  // SPRIGHT_BATCH_HANG_AT=n the n-th render never ends (after saying so in a marker file), so the
  // parent kills it mid-image at a known point however slow the machine is.
  const deps = fakeDeps();
  const log = path.join(path.dirname(CHILD), 'renders.log');
  const hangAt = Number(process.env.SPRIGHT_BATCH_HANG_AT ?? 0);
  let started = 0;
  const render = deps.render.bind(deps);
  deps.render = async (job, file, signal, onStep) => {
    fs.appendFileSync(log, `${job.variant}/${job.promptId}/${job.k}\n`);
    if (++started === hangAt) {
      fs.writeFileSync(path.join(path.dirname(CHILD), 'hanging'), '');
      // A timer keeps the process alive: an idle event loop would let it exit on its own.
      await new Promise(() => setInterval(() => undefined, 1000));
    }
    return render(job, file, signal, onStep);
  };
  void runBatch(childOptions(CHILD), deps).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(String(err));
      process.exit(1);
    },
  );
} else {
  test('batch killed with SIGKILL mid-run resumes without rendering a finished image twice', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-kill-'));
    const out = path.join(root, 'out');
    const env = { ...process.env, SPRIGHT_BATCH_CHILD: out };
    const child = spawn(process.execPath, [__filename], { env: { ...env, SPRIGHT_BATCH_HANG_AT: '6' }, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const manifest = path.join(out, 'manifest.jsonl');
    // Wait (however long it takes) until the child is inside its 6th render, then kill it without warning.
    // (The bound only keeps a child that died early from hanging the suite.)
    for (const end = Date.now() + 120_000; !fs.existsSync(path.join(root, 'hanging')) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const before = parseManifest(fs.readFileSync(manifest, 'utf8'));
    assert.equal(before.records.length, 5, 'killed in the middle of the 6th image');
    assert.ok(fs.existsSync(path.join(out, '.spright-batch.lock')), 'the killed batch left its lock behind');
    const doneBefore = new Set(before.records.map((r) => `${r.variant}/${r.prompt_id}/${r.k}`));
    for (const r of before.records) assert.ok(fs.existsSync(path.join(out, r.file)), `${r.file} listed but missing`);

    const second = spawnSync(process.execPath, [__filename], { env, encoding: 'utf8', timeout: 30000 });
    assert.equal(second.status, 0, second.stderr);

    const after = parseManifest(fs.readFileSync(manifest, 'utf8'));
    assert.equal(after.corrupted.length, 0);
    const keys = after.records.map((r) => `${r.variant}/${r.prompt_id}/${r.k}`);
    assert.equal(keys.length, 18);
    assert.equal(new Set(keys).size, 18, 'each image exactly once in the manifest');
    const renders = fs.readFileSync(path.join(root, 'renders.log'), 'utf8').split('\n').filter(Boolean);
    const counts = new Map<string, number>();
    for (const k of renders) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const k of doneBefore) assert.equal(counts.get(k), 1, `${k} was finished before the kill but rendered again`);
    // At most the one image in flight at the kill is rendered twice.
    assert.ok(renders.length <= 19, `${renders.length} renders for 18 images`);
    for (const r of after.records) assert.ok(fs.existsSync(path.join(out, r.file)));
    const leftovers = [...fs.readdirSync(out), ...fs.readdirSync(path.join(out, 'rewrite'))].filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.images, 18);
    assert.equal(summary.variants.rewrite.visor.uncond, 100);
  });
}
