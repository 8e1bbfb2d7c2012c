// LAST test of the run (index.ts orders it last): leaves the preview panel open on a prompt full
// of markup, so the runner can inspect the real webview DOM afterwards (webviewChecks.mjs).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PanelState } from '../../../src/protocol/messages';
import { openPrompt, sprightApi, waitFor } from './helpers';

suite('preview panel on hostile text (left open for the webview checks)', () => {
  test('the panel shows the hostile prompt with its layout boxes and relation', async () => {
    const hostile = process.env.SPRIGHT_TEST_HOSTILE_PROMPT;
    assert.ok(hostile, 'SPRIGHT_TEST_HOSTILE_PROMPT is not set by the runner');
    const api = await sprightApi();
    const editor = await openPrompt('hostile.prompts');
    assert.equal(editor.document.lineAt(0).text, hostile);
    await vscode.commands.executeCommand('sprightLens.previewLayout', editor.document.uri, 0);
    const state = await waitFor(() => {
      const s = api.panel.current()?.lastInitState as PanelState | undefined;
      return s?.prompt?.text === hostile ? s : undefined;
    }, 'init with the hostile prompt');
    const prompt = state.prompt;
    assert.ok(prompt?.layout, `no layout for the hostile prompt: ${prompt?.layoutError}`);
    assert.ok(prompt.layout.boxes.length >= 2, JSON.stringify(prompt.layout.boxes));
    assert.ok(prompt.relations.some((r) => r.relation === 'left_of'), JSON.stringify(prompt.relations));
    // Keep the editor beside the panel; the panel stays open when the suite ends.
    assert.ok(api.panel.current(), 'the preview panel closed');
  });
});
