// Best-of-N in the preview panel: with sprightLens.render.bestOf = 2 a render preview renders two
// seeds with the tiny fixture model, judges both, shows the best with the candidate strip, and
// the user can show the other candidate instead. (Runs after preview.test.js, whose first render
// test expects an empty output folder; the PNGs written here are removed afterwards.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, openPrompt, setSetting, waitForPanel, workspaceFile } from './helpers';

/** Two renders and two detections on a shared machine: longer than the helpers' default wait. */
const RENDER_TIMEOUT_MS = 60_000;

suite('best-of candidates in the preview panel', () => {
  const renders = path.join(workspaceFile('.').fsPath, 'spright-renders');
  const settings = ['render.modelPath', 'render.steps', 'render.width', 'render.height', 'render.seed', 'render.provider', 'render.bestOf'];

  test('renders best of 2, shows the strip with both candidates judged, and shows the other one when picked', async function () {
    const model = process.env.SPRIGHT_TEST_MODEL;
    if (!model) this.skip();
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    // Without NanoDet's weights (npm run fetch-models) nothing can be judged, so nothing chosen.
    if (!ext || !fs.existsSync(path.join(ext.extensionPath, 'models', 'nanodet', 'nanodet.json'))) this.skip();
    const reference = JSON.parse(fs.readFileSync(path.join(model, 'reference.json'), 'utf8')) as { width: number; height: number };
    const editor = await openPrompt('clean.prompts');
    const before = new Set(fs.existsSync(renders) ? fs.readdirSync(renders) : []);
    try {
      await setSetting('render.modelPath', model);
      await setSetting('render.steps', 2);
      await setSetting('render.width', reference.width);
      await setSetting('render.height', reference.height);
      await setSetting('render.seed', 31);
      await setSetting('render.provider', 'cpu');
      await setSetting('render.bestOf', 2);
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);

      const state = await waitForPanel(
        editor.document.uri,
        0,
        (s) => (s.candidates?.state === 'done' && s.render === null && s.image?.detection.status === 'done' ? s : undefined),
        'the best-of render to finish with its strip',
        RENDER_TIMEOUT_MS,
      );
      const strip = state.candidates!;
      assert.equal(strip.n, 2);
      assert.equal(strip.promptKey, state.prompt?.key);
      assert.deepEqual(strip.candidates.map((c) => [c.seed, c.state]), [
        [31, 'done'],
        [32, 'done'],
      ]);
      // Both candidates are written and kept, under the render names of their seeds.
      for (const c of strip.candidates) {
        assert.ok(c.fileName && fs.existsSync(path.join(renders, c.fileName)), `${c.fileName} in ${renders}`);
        assert.match(c.fileName ?? '', new RegExp(`-${c.seed}\\.png$`));
        assert.equal(c.scored, 1, 'one left_of relation, judged under VISOR');
      }
      // The panel shows the chosen candidate, with its detections judged.
      assert.notEqual(strip.chosen, null);
      assert.equal(strip.shown, strip.chosen);
      assert.equal(state.image?.fileName, strip.candidates[strip.chosen!]!.fileName);
      assert.ok(state.image?.src.length && !state.image.src.startsWith('file:'), 'candidate images load through webview URIs');

      // Pick the other candidate: the panel's image becomes it, the choice stays marked.
      const other = 1 - strip.chosen!;
      const shown = await vscode.commands.executeCommand<number | undefined>('sprightLens.pickCandidate', other);
      assert.equal(shown, other);
      const after = await waitForPanel(editor.document.uri, 0, (s) => (s.candidates?.shown === other ? s : undefined), 'the other candidate to be shown', RENDER_TIMEOUT_MS);
      assert.equal(after.image?.fileName, strip.candidates[other]!.fileName);
      assert.equal(after.image?.detection.status, 'done');
      assert.deepEqual(after.image?.details.find(([k]) => k === 'seed'), ['seed', String(strip.candidates[other]!.seed)]);
      assert.equal(after.candidates?.chosen, strip.chosen, 'picking shows a candidate; the choice itself does not change');

      // A plain render afterwards takes the strip away.
      await setSetting('render.bestOf', 1);
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      const plain = await waitForPanel(editor.document.uri, 0, (s) => (s.render === null && (s.candidates ?? null) === null ? s : undefined), 'a plain render without the strip', RENDER_TIMEOUT_MS);
      assert.match(plain.image?.fileName ?? '', /-31\.png$/);
    } finally {
      for (const key of settings) await setSetting(key, undefined);
      for (const f of fs.existsSync(renders) ? fs.readdirSync(renders) : []) if (!before.has(f)) fs.rmSync(path.join(renders, f), { force: true });
    }
  });
});
