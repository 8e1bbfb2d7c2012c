// Batch render ("Render All Prompts") on the tiny fixture model: the expected files, cancel after
// the current image, and resume of the cancelled folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openPrompt, setSetting, sprightApi, waitFor, workspaceFile } from './helpers';

interface RunInfo {
  outDir: string;
  done: number;
  total: number;
  cancelled: boolean;
  state: string;
  message: string | null;
}

const KEYS = ['render.modelPath', 'render.steps', 'render.width', 'render.height', 'render.seed', 'render.provider', 'batch.imagesPerPrompt'];

function images(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort() : [];
}

function manifestLines(dir: string): Array<Record<string, unknown>> {
  const file = path.join(dir, 'manifest.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

suite('batch render', () => {
  let model: string | undefined;
  const source = workspaceFile('batch/set.prompts');

  suiteSetup(async function () {
    model = process.env.SPRIGHT_TEST_MODEL;
    if (!model) this.skip();
    const reference = JSON.parse(fs.readFileSync(path.join(model, 'reference.json'), 'utf8')) as { width: number; height: number };
    await setSetting('render.modelPath', model);
    await setSetting('render.steps', 2);
    await setSetting('render.width', reference.width);
    await setSetting('render.height', reference.height);
    await setSetting('render.seed', 3);
    await setSetting('render.provider', 'cpu');
    // Another file is active, so the command renders the whole source file it is given.
    await openPrompt('clean.prompts');
  });

  suiteTeardown(async () => {
    // A failed test must not leave a batch rendering behind the next suites.
    const api = await sprightApi();
    if (api.batch.lastRun()?.state === 'running') {
      api.batch.cancel();
      await waitFor(() => api.batch.lastRun()?.state !== 'running', 'the batch to stop', 60_000);
    }
    for (const key of KEYS) await setSetting(key, undefined);
  });

  test('renderAll on a prompt file writes one PNG per prompt and image, the manifest and the report', async function () {
    this.timeout(120_000);
    await setSetting('batch.imagesPerPrompt', 1);
    const outDir = workspaceFile('batch-full').fsPath;
    const info = await vscode.commands.executeCommand<RunInfo | undefined>('sprightLens.renderAll', source, { outDir });
    assert.ok(info, 'renderAll returned nothing (it stopped before rendering: see the notifications)');
    assert.equal(info.state, 'finished', info.message ?? '');
    assert.equal(info.outDir, outDir);
    assert.deepEqual([info.done, info.total], [2, 2]);
    // VISOR naming: {prompt id}_{k}.png, the prompt id being the 1-based line number for one file.
    assert.deepEqual(images(outDir), ['1_0.png', '2_0.png']);
    const records = manifestLines(outDir);
    assert.equal(records.length, 2, JSON.stringify(records));
    assert.ok(fs.existsSync(path.join(outDir, 'report.html')), 'no report.html');
    assert.deepEqual((await sprightApi()).batch.lastRun(), info);
  });

  test('a running batch can be cancelled after the current image, and the folder resumes', async function () {
    this.timeout(120_000);
    await setSetting('batch.imagesPerPrompt', 3);
    const api = await sprightApi();
    const outDir = workspaceFile('batch-cancel').fsPath;
    const running = vscode.commands.executeCommand<RunInfo | undefined>('sprightLens.renderAll', source, { outDir });
    await waitFor(() => {
      const r = api.batch.lastRun();
      return r?.outDir === outDir && r.state === 'running' && r.done >= 1;
    }, 'the batch to finish its first image', 30_000);
    api.batch.cancel();
    const info = await running;
    assert.ok(info);
    assert.equal(info.state, 'cancelled', info.message ?? '');
    assert.equal(info.cancelled, true);
    assert.equal(info.total, 6);
    assert.ok(info.done >= 1 && info.done < 6, `done ${info.done} of 6 after cancel`);
    assert.equal(images(outDir).length, info.done, 'every finished image is on disk, and no partial one');
    assert.equal(manifestLines(outDir).length, info.done);

    // Running it again on the same folder renders only what is missing.
    const before = new Map(images(outDir).map((f) => [f, fs.statSync(path.join(outDir, f)).mtimeMs]));
    const resumed = await vscode.commands.executeCommand<RunInfo | undefined>('sprightLens.renderAll', source, { outDir });
    assert.ok(resumed);
    assert.equal(resumed.state, 'finished', resumed.message ?? '');
    assert.deepEqual([resumed.done, resumed.total], [6, 6]);
    assert.deepEqual(images(outDir), ['1_0.png', '1_1.png', '1_2.png', '2_0.png', '2_1.png', '2_2.png']);
    for (const [f, mtime] of before) assert.equal(fs.statSync(path.join(outDir, f)).mtimeMs, mtime, `${f} was rendered again on resume`);
    assert.equal(manifestLines(outDir).length, 6);
  });
});
