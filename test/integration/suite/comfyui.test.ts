// The preview panel rendering through a real ComfyUI server (the vendored one the live suite starts
// on a loopback port with the tiny checkpoint; runTests --comfyui URL). Only that run loads this
// file (index.ts). A missing checkpoint gives one line; a render cancelled from the panel's Cancel
// button stops ComfyUI and writes nothing; a render from "Render with this layout" shows its
// progress, writes our PNG with our text chunks, and its boxes reach ComfyUI's graph as
// ConditioningSetArea nodes. It runs last in the file so that the panel is left on that render for
// the runner's screenshot.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readPngText } from '../../../src/image';
import type { PanelState } from '../../../src/protocol/messages';
import { CORRUPT, TINY } from '../../live/scenarios';
import { EXTENSION_ID, driveWebview, openPrompt, setSetting, sprightApi, waitFor, workspaceFile } from './helpers';

/** A render on a busy 2-core machine: wide, and never a timing assertion. */
const RENDER_TIMEOUT_MS = 180_000;

const server = process.env.SPRIGHT_TEST_COMFYUI_SERVER ?? '';

function pngs(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.png')) : [];
}

/** The host's panel state now (what the next `init` would carry), without re-sending it. */
async function hostState(): Promise<PanelState | undefined> {
  return (await sprightApi()).panel.current()?.state as PanelState | undefined;
}

async function comfyJson<T>(route: string): Promise<T> {
  const res = await fetch(`${server}${route}`);
  assert.ok(res.ok, `${route}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** ComfyUI's /history entry: [number, prompt id, graph, extra, outputs] under `prompt`. */
type HistoryEntry = { prompt: [number, string, Record<string, { class_type: string; inputs: Record<string, unknown> }>, unknown, unknown] };

suite('preview panel through a real ComfyUI', function () {
  this.timeout(2 * RENDER_TIMEOUT_MS);
  const renders = path.join(workspaceFile('.').fsPath, 'spright-renders');
  const settings: Array<[string, unknown]> = [
    ['render.backend', 'comfyui'],
    ['render.comfyui.server', server],
    ['render.comfyui.checkpoint', TINY],
    ['render.steps', 2],
    ['render.width', 128],
    ['render.height', 128],
    ['render.seed', 5],
    ['render.guidance', 7],
    ['render.negativePrompt', 'blurry'],
    ['render.guide', 'off'],
  ];

  suiteSetup(async () => {
    assert.match(server, /^http:\/\/127\.0\.0\.1:\d+$/, 'SPRIGHT_TEST_COMFYUI_SERVER names the loopback server');
    for (const [k, v] of settings) await setSetting(k, v);
  });

  suiteTeardown(async () => {
    // The panel and its render stay for the runner's screenshot; only the settings go.
    for (const [k] of settings) await setSetting(k, undefined);
  });

  test('a checkpoint the server does not have: one line naming it and the ones it has, nothing written', async () => {
    const editor = await openPrompt('clean.prompts');
    const before = pngs(renders);
    try {
      await setSetting('render.comfyui.checkpoint', 'nope.safetensors');
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      const notice = await waitFor(async () => (await hostState())?.notice, 'the panel to show the error');
      assert.equal(
        notice,
        `ComfyUI at ${server} has no checkpoint "nope.safetensors"; it has "${CORRUPT}", "${TINY}" (settings sprightLens.render.comfyui.server and .checkpoint)`,
      );
      assert.doesNotMatch(notice, /\n/);
      const shown = await driveWebview([{ op: 'snapshot', name: 'error' }]);
      assert.equal(shown.snapshots.error?.notice, notice, 'the webview shows the same line, as text');
      assert.deepEqual(pngs(renders), before);
    } finally {
      await setSetting('render.comfyui.checkpoint', TINY);
    }
  });

  test('Cancel in the panel stops the ComfyUI render mid-run: nothing written, nothing left queued', async () => {
    const editor = await openPrompt('clean.prompts');
    const before = pngs(renders);
    try {
      // Long enough that the click always lands mid-run (the most the setting allows).
      await setSetting('render.steps', 200);
      await setSetting('render.seed', 6);
      await setSetting('render.width', 64);
      await setSetting('render.height', 64);
      const rendering = vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      const run = await driveWebview(
        [
          { op: 'watch', name: 'cancel' },
          { op: 'waitFor', path: ['progress', 'phase'], equals: 'denoising', timeoutMs: RENDER_TIMEOUT_MS },
          { op: 'click', selector: '[data-testid="render-progress"] [data-action="cancelRender"]' },
          { op: 'waitFor', path: ['notice'], equals: 'Render cancelled.', timeoutMs: RENDER_TIMEOUT_MS },
          { op: 'watched', name: 'cancel' },
        ],
        RENDER_TIMEOUT_MS,
      );
      await rendering;
      const seen = run.watched.cancel ?? [];
      const last = seen[seen.length - 1];
      assert.ok(last && last.phase === 'denoising' && last.step < 200, `stopped mid-run: ${JSON.stringify(seen)}`);
      assert.equal((await hostState())?.render, null);
      assert.deepEqual(pngs(renders), before, 'a cancelled render writes nothing');
      const queue = await comfyJson<{ queue_running: unknown[]; queue_pending: unknown[] }>('/queue');
      assert.deepEqual([queue.queue_running.length, queue.queue_pending.length], [0, 0], 'ComfyUI was interrupted');
    } finally {
      for (const k of ['render.steps', 'render.seed', 'render.width', 'render.height']) await setSetting(k, settings.find(([s]) => s === k)![1]);
    }
  });

  test('Render with this layout: progress in the panel, our PNG and chunks, the boxes in ComfyUI\'s graph', async () => {
    const editor = await openPrompt('clean.prompts');
    const text = editor.document.lineAt(0).text;
    await vscode.commands.executeCommand('sprightLens.previewLayout', editor.document.uri, 0);
    const layout = await waitFor(async () => (await hostState())?.prompt?.layout, 'the planned layout in the panel');
    assert.deepEqual(layout.boxes.map((b) => b.noun).sort(), ['apple', 'bowl']);
    const before = pngs(renders);

    await driveWebview([
      { op: 'watch', name: 'render' },
      { op: 'click', selector: '[data-testid="render-with-layout"]' },
    ]);
    const state = await waitFor(async () => {
      const s = await hostState();
      return s?.render === null && s.image?.origin === 'render' ? s : undefined;
    }, 'the render through ComfyUI in the panel', RENDER_TIMEOUT_MS);
    // Detection runs on it as on any render (NanoDet ships in models/ after npm run fetch-models).
    const detected = await waitFor(async () => {
      const d = (await hostState())?.image?.detection;
      return d && d.status !== 'pending' ? d : undefined;
    }, 'detection on the ComfyUI render', RENDER_TIMEOUT_MS);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    if (ext && fs.existsSync(path.join(ext.extensionPath, 'models', 'nanodet', 'nanodet.json'))) {
      assert.equal(detected.status, 'done', detected.status === 'error' ? detected.message : '');
    }
    assert.equal((await hostState())?.notice, null, 'the earlier "Render cancelled." is gone');
    const run = await driveWebview([
      { op: 'waitFor', path: ['image', 'complete'], equals: true },
      { op: 'watched', name: 'render' },
      { op: 'snapshot', name: 'done' },
    ]);

    // Progress: the phases as the panel drew them, ComfyUI's two steps among them.
    const seen = (run.watched.render ?? []).map((p) => `${p.phase} ${p.step}/${p.total}`);
    assert.ok(seen.includes('denoising 1/2'), `step 1 of 2 was shown: ${seen.join(', ')}`);
    assert.ok(seen.includes('decoding 2/2'), `step 2 of 2 was shown: ${seen.join(', ')}`);
    assert.match(run.watched.render?.find((p) => p.phase === 'denoising')?.text ?? '', /^Rendering: Step 1 of 2$/);
    assert.equal(run.snapshots.done?.progress, null, 'the progress bar is gone');
    assert.equal(run.snapshots.done?.notice, null);
    assert.equal(run.snapshots.done?.image?.alt, text);
    assert.equal(run.snapshots.done?.image?.width, 128);

    // Our PNG, under our name, with our text chunks and the region boxes as sent.
    const written = pngs(renders).filter((f) => !before.includes(f));
    assert.deepEqual(written, ['a-red-apple-to-the-left-of-a-green-bowl-5.png']);
    assert.equal(state.image?.fileName, written[0]);
    assert.deepEqual(state.image?.details.find(([k]) => k === 'provider'), ['provider', `ComfyUI at ${server}`]);
    assert.deepEqual(state.image?.details.find(([k]) => k === 'guide'), ['guide', 'planned layout, 2 regions']);
    const chunks = readPngText(fs.readFileSync(path.join(renders, written[0]!)));
    assert.equal(chunks.prompt, text);
    assert.equal(chunks.backend, 'comfyui');
    assert.equal(chunks.server, server);
    assert.equal(chunks.checkpoint, TINY);
    assert.equal(chunks.steps, '2');
    assert.equal(chunks.seed, '5');
    const regions = JSON.parse(chunks.regions ?? '[]') as Array<{ prompt: string; box: { x: number; y: number; w: number; h: number } }>;
    assert.equal(regions.length, 2, chunks.regions);

    // The boxes reached ComfyUI: its record of the graph it ran has one ConditioningSetArea per
    // region, on the pixels the PNG names, with that region's text.
    const history = await comfyJson<Record<string, HistoryEntry>>('/history');
    const graphs = Object.values(history)
      .map((h) => h.prompt[2])
      .filter((g) => Object.values(g).some((n) => n.class_type === 'KSampler' && n.inputs.seed === 5) && Object.values(g).some((n) => n.inputs.text === text));
    assert.equal(graphs.length, 1, 'ComfyUI ran our render once');
    const graph = graphs[0]!;
    const areas = Object.values(graph)
      .filter((n) => n.class_type === 'ConditioningSetArea')
      .map((n) => {
        const [textNode] = n.inputs.conditioning as [string, number];
        return { prompt: graph[textNode]?.inputs.text, box: { x: n.inputs.x, y: n.inputs.y, w: n.inputs.width, h: n.inputs.height } };
      });
    assert.deepEqual(
      areas.map((a) => JSON.stringify(a)).sort(),
      regions.map((r) => JSON.stringify({ prompt: r.prompt, box: { x: r.box.x, y: r.box.y, w: r.box.w, h: r.box.h } })).sort(),
    );
    for (const a of areas) {
      const b = a.box as { x: number; y: number; w: number; h: number };
      assert.ok(b.x % 8 === 0 && b.y % 8 === 0 && b.w >= 64 && b.h >= 64 && b.x + b.w <= 128 && b.y + b.h <= 128, `on ComfyUI's grid: ${JSON.stringify(b)}`);
    }
  });
});
