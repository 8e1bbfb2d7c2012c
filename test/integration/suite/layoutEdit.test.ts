// Editing the layout in the real preview webview: a box dragged with DOM pointer events flips the
// relation check while the pointer is still down, the drop is saved to <prompt file>.layout.json,
// arrow keys move and resize a focused box, Render with this layout renders with that layout as
// the region guide (the PNG records it), a prompt whose words changed shows its layout as stale
// and Re-plan forgets it, the Region guidance checkbox and its setting mirror each other, and VS
// Code validates layout files against the published schema.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LayoutBoxView, PanelState, PromptView } from '../../../src/protocol/messages';
import { readPngText } from '../../../src/image';
import { driveWebview, openPrompt, replaceLine, revert, setSetting, sprightApi, waitFor, webviewDriver, workspaceFile } from './helpers';

const APPLE = 'a red apple to the left of a green bowl';

/** The host's panel state now (what the next init would carry). */
async function hostPrompt(): Promise<PromptView | null | undefined> {
  return ((await sprightApi()).panel.current()?.state as PanelState | undefined)?.prompt;
}

function box(p: PromptView, id: string): LayoutBoxView {
  const b = p.layout?.boxes.find((x) => x.id === id);
  assert.ok(b, `no box ${id} in ${JSON.stringify(p.layout)}`);
  return b;
}

interface SavedFile {
  $schema: string;
  version: number;
  layouts: Array<{ line: number; prompt: string; canvas: { width: number; height: number }; boxes: Array<{ id: string; object: string; x: number; y: number; w: number; h: number }> }>;
}

function readSaved(file: string): SavedFile | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SavedFile) : undefined;
}

function pngs(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.png')) : [];
}

const RENDER_SETTINGS = ['render.modelPath', 'render.steps', 'render.width', 'render.height', 'render.seed', 'render.provider', 'render.guide', 'render.outputFolder'];

async function useTinyModel(model: string): Promise<void> {
  const reference = JSON.parse(fs.readFileSync(path.join(model, 'reference.json'), 'utf8')) as { width: number; height: number };
  await setSetting('render.modelPath', model);
  await setSetting('render.steps', 2);
  await setSetting('render.width', reference.width);
  await setSetting('render.height', reference.height);
  await setSetting('render.seed', 9);
  await setSetting('render.provider', 'cpu');
  await setSetting('render.outputFolder', 'layout-renders');
}

suite('layout editing in the preview panel', () => {
  // A folder of its own: other suites count the PNGs in spright-renders.
  const renders = path.join(workspaceFile('.').fsPath, 'layout-renders');
  const layoutFile = workspaceFile('layout.prompts.layout.json').fsPath;

  suiteSetup(() => fs.rmSync(layoutFile, { force: true }));
  suiteTeardown(async () => {
    for (const key of RENDER_SETTINGS) await setSetting(key, undefined);
    // The suites after this one open the panel themselves and read its first state.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a dragged box flips the check while dragging, is saved beside the prompt, and Render with this layout renders it', async function () {
    if (!webviewDriver) this.skip();
    this.timeout(180_000);
    const editor = await openPrompt('layout.prompts');
    const uri = editor.document.uri;
    await vscode.commands.executeCommand('sprightLens.previewLayout', uri, 0);
    const planned = await waitFor(async () => {
      const p = await hostPrompt();
      return p?.text === APPLE && p.layoutEdit ? p : undefined;
    }, 'the panel on the apple prompt with an editable layout');
    assert.deepEqual(planned.layoutEdit, { source: 'planned', file: 'layout.prompts.layout.json', staleFor: null, problem: null });
    assert.equal(planned.relations[0]?.status, 'satisfied');
    const apple = box(planned, 'apple');
    const bowl = box(planned, 'bowl');
    const cy = apple.y + apple.h / 2;
    const from = apple.x + apple.w / 2;
    // Past the bowl's centre: VISOR's left_of no longer holds.
    const to = bowl.x + bowl.w / 2 + 16;
    const path4 = [1, 2, 3, 4].map((k) => ({ op: 'pointer', type: 'pointermove', box: 'apple', at: { x: from + ((to - from) * k) / 4, y: cy } }));

    const drag = await driveWebview([
      { op: 'waitFor', path: ['editable'], equals: 'true' },
      { op: 'snapshot', name: 'before' },
      { op: 'pointer', type: 'pointerdown', box: 'apple', at: { x: from, y: cy } },
      ...path4,
      // Still pressed: the host has judged the moved box and the relation is red.
      { op: 'waitFor', path: ['relations', 0], equals: 'violated' },
      { op: 'snapshot', name: 'during' },
      { op: 'pointer', type: 'pointerup', box: 'apple', at: { x: to, y: cy } },
      { op: 'waitFor', path: ['source'], equals: 'edited' },
      { op: 'snapshot', name: 'after' },
    ]);
    const { before, during, after } = drag.snapshots as Record<string, NonNullable<(typeof drag.snapshots)[string]>>;
    assert.deepEqual(before!.relations, ['satisfied']);
    assert.equal(before!.boxes.apple?.tabindex, '0', 'boxes are focusable');
    assert.match(before!.boxes.apple?.label ?? '', /^apple box at x \d+, y \d+, \d+ by \d+ pixels\. Arrow keys move it/);
    assert.deepEqual(during!.relations, ['violated']);
    assert.equal(during!.boxes.apple?.violated, 'true', 'the dragged box turns red');
    assert.equal(during!.source, 'planned', 'nothing is saved before the drop');
    assert.equal(during!.focused, 'apple', 'the pressed box takes the focus');
    const movedX = Math.round(apple.x + (to - from));
    assert.equal(after!.boxes.apple?.x, movedX);

    // Saved beside the prompt: readable JSON keyed by the prompt's text and line.
    const saved = await waitFor(() => readSaved(layoutFile), 'the layout file');
    assert.equal(saved.$schema, 'spright-lens://schemas/layout-1.json');
    assert.deepEqual(
      saved.layouts.map((l) => [l.line, l.prompt, l.canvas]),
      [[1, APPLE, { width: 768, height: 768 }]],
    );
    assert.deepEqual(saved.layouts[0]!.boxes.find((b) => b.id === 'apple'), { id: 'apple', object: 'apple', x: movedX, y: apple.y, w: apple.w, h: apple.h });
    const host = await hostPrompt();
    assert.equal(host?.layoutEdit?.source, 'edited');
    assert.equal(host?.relations[0]?.status, 'violated');

    // The keyboard: three presses left move the bowl 24 px; Shift+Down makes it 8 px taller.
    const keys = await driveWebview([
      ...[1, 2, 3].map(() => ({ op: 'key', box: 'bowl', key: 'ArrowLeft' })),
      { op: 'key', box: 'bowl', key: 'ArrowDown', shift: true },
      { op: 'waitFor', path: ['boxes', 'bowl', 'h'], equals: bowl.h + 8 },
      { op: 'snapshot', name: 'keys' },
    ]);
    assert.equal(keys.snapshots.keys!.boxes.bowl?.x, bowl.x - 24);
    assert.equal(keys.snapshots.keys!.focused, 'bowl', 'the focus stays on the box across redraws');
    const afterKeys = await waitFor(() => readSaved(layoutFile)?.layouts[0]?.boxes.find((b) => b.id === 'bowl' && b.h === bowl.h + 8), 'the key edits saved');
    assert.deepEqual([afterKeys.x, afterKeys.w], [bowl.x - 24, bowl.w]);

    // It survives the panel: closed and opened again, the prompt shows the saved layout.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await openPrompt('layout.prompts');
    await vscode.commands.executeCommand('sprightLens.previewLayout', uri, 0);
    const reopened = await waitFor(async () => {
      const p = await hostPrompt();
      return p?.text === APPLE && p.layoutEdit?.source === 'edited' ? p : undefined;
    }, 'the reopened panel with the saved layout');
    assert.equal(box(reopened, 'apple').x, movedX);
    assert.equal(box(reopened, 'bowl').x, bowl.x - 24);

    // Render with this layout: the PNG's guide is the drawn layout.
    const model = process.env.SPRIGHT_TEST_MODEL;
    if (!model) {
      console.log('    no tiny model (test/fixtures/sd-tiny): Render with this layout not exercised');
      return;
    }
    await useTinyModel(model);
    const before2 = pngs(renders);
    await driveWebview([
      { op: 'waitFor', path: ['source'], equals: 'edited' },
      { op: 'click', selector: '[data-testid="render-with-layout"]' },
    ]);
    const written = await waitFor(() => pngs(renders).filter((f) => !before2.includes(f))[0], 'the guided render', 120_000);
    const text = readPngText(fs.readFileSync(path.join(renders, written)));
    assert.ok(text.guide, `no guide recorded in ${written}: ${JSON.stringify(text)}`);
    const guide = JSON.parse(text.guide) as { regions: Array<{ prompt: string; box: { x: number; y: number; w: number; h: number } }> };
    const appleRegion = guide.regions.find((r) => r.prompt === 'a red apple');
    assert.ok(appleRegion, JSON.stringify(guide));
    // Fractions of the canvas (computed from the box's edges, so equal up to rounding).
    const expected = { x: movedX / 768, y: apple.y / 768, w: apple.w / 768, h: apple.h / 768 };
    for (const k of ['x', 'y', 'w', 'h'] as const) assert.ok(Math.abs(appleRegion.box[k] - expected[k]) < 1e-9, `${k}: ${JSON.stringify(appleRegion.box)} vs ${JSON.stringify(expected)}`);
    const shown = await waitFor(async () => ((await sprightApi()).panel.current()?.state as PanelState | undefined)?.image ?? undefined, 'the guided render in the panel');
    assert.deepEqual(shown.details.find(([k]) => k === 'guide'), ['guide', 'your layout, 2 regions']);
  });

  test('a prompt whose words changed shows its layout as stale; Re-plan forgets it', async function () {
    if (!webviewDriver) this.skip();
    const editor = await openPrompt('layout.prompts');
    const uri = editor.document.uri;
    if (!readSaved(layoutFile)?.layouts.length) {
      fs.writeFileSync(
        layoutFile,
        JSON.stringify({ version: 1, layouts: [{ line: 1, prompt: APPLE, canvas: { width: 768, height: 768 }, boxes: [{ id: 'apple', object: 'apple', x: 500, y: 10, w: 100, h: 100 }] }] }),
      );
    }
    try {
      await replaceLine(editor.document, 0, 'a red apple to the right of a green bowl');
      await vscode.commands.executeCommand('sprightLens.previewLayout', uri, 0);
      const stale = await waitFor(async () => {
        const p = await hostPrompt();
        return p?.text.includes('right of') && p.layoutEdit?.staleFor ? p : undefined;
      }, 'the stale layout', 20_000);
      assert.equal(stale.layoutEdit?.staleFor, APPLE);
      const run = await driveWebview([
        { op: 'waitFor', path: ['stale'], equals: `This layout was drawn for ${APPLE}; the prompt has changed since.Re-planKeep this layout` },
        { op: 'click', selector: '[data-testid="layout-stale"] [data-action="resetLayout"]' },
        { op: 'waitFor', path: ['source'], equals: 'planned' },
        { op: 'snapshot', name: 'replanned' },
      ]);
      assert.equal(run.snapshots.replanned!.stale, null);
      await waitFor(() => !fs.existsSync(layoutFile), 'the stale entry (the only one) removed with its file');
    } finally {
      await revert(editor);
    }
  });

  test('the Region guidance checkbox and sprightLens.render.guide mirror each other; a guided Render preview records the planned layout', async function () {
    if (!webviewDriver) this.skip();
    this.timeout(120_000);
    const editor = await openPrompt('layout.prompts');
    await vscode.commands.executeCommand('sprightLens.previewLayout', editor.document.uri, 1);
    await setSetting('render.guide', undefined);
    await driveWebview([
      { op: 'waitFor', path: ['regionGuide'], equals: false },
      { op: 'click', selector: '[data-testid="region-guide"]' },
    ]);
    await waitFor(() => vscode.workspace.getConfiguration('sprightLens').get('render.guide') === 'layout', 'the checkbox to set render.guide');
    await setSetting('render.guide', 'off');
    await driveWebview([{ op: 'waitFor', path: ['regionGuide'], equals: false }]);
    await setSetting('render.guide', 'layout');
    await driveWebview([{ op: 'waitFor', path: ['regionGuide'], equals: true }]);

    const model = process.env.SPRIGHT_TEST_MODEL;
    if (!model) this.skip();
    await useTinyModel(model);
    await setSetting('render.guide', 'layout');
    const before = pngs(renders);
    await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 1);
    const written = pngs(renders).filter((f) => !before.includes(f));
    assert.equal(written.length, 1, JSON.stringify(written));
    const guide = JSON.parse(readPngText(fs.readFileSync(path.join(renders, written[0]!))).guide ?? 'null') as { regions: Array<{ prompt: string }> } | null;
    assert.deepEqual(guide?.regions.map((r) => r.prompt).sort(), ['a lamp', 'a wooden table']);
  });

  test('VS Code validates layout files against the published schema', async () => {
    const bad = workspaceFile('broken.prompts.layout.json');
    fs.writeFileSync(
      bad.fsPath,
      `${JSON.stringify({ $schema: 'spright-lens://schemas/layout-1.json', version: 1, layouts: [{ line: 0, prompt: 'x', canvas: { width: 768, height: 768 }, boxes: [], colour: 'red' }] }, null, 2)}\n`,
    );
    try {
      const doc = await vscode.workspace.openTextDocument(bad);
      await vscode.window.showTextDocument(doc);
      const problems = await waitFor(
        () => {
          const d = vscode.languages.getDiagnostics(bad);
          return d.length >= 2 ? d : undefined;
        },
        'JSON schema diagnostics on the layout file',
        30_000,
      );
      const text = problems.map((d) => d.message).join('\n');
      assert.match(text, /colour/i, text);
      assert.match(text, /minimum|1/i, text);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      fs.rmSync(bad.fsPath, { force: true });
    }
  });
});
