// Runs only in the restricted-mode window (runTests --untrusted: workspace trust on, the temp
// folder not trusted). Parsing keeps working; model paths from workspace settings are ignored.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PanelState } from '../../../src/protocol/messages';
import { diagnosticCode, openPrompt, setSetting, sprightApi, sprightDiagnostics, waitFor, workspaceFile } from './helpers';

/** Asks for a render of the prompt's first line, then the panel state once it names a setup problem. */
async function setupProblemAfterRender(api: Awaited<ReturnType<typeof sprightApi>>, uri: vscode.Uri): Promise<PanelState> {
  await vscode.commands.executeCommand('sprightLens.renderPreview', uri, 0);
  return waitFor(async () => {
    await vscode.commands.executeCommand('sprightLens.previewLayout', uri, 0);
    const s = api.panel.current()?.lastInitState as PanelState | undefined;
    return s?.setup.problem ? s : undefined;
  }, 'the setup problem after a render attempt');
}

suite('untrusted workspace (restricted mode)', () => {
  test('language features work; a workspace modelPath is ignored and the panel says so', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the runner did not open the folder untrusted');
    const api = await sprightApi();
    const contradiction = await openPrompt('contradiction.prompts');
    await waitFor(() => sprightDiagnostics(contradiction.document.uri).some((d) => diagnosticCode(d) === 'contradiction'), 'diagnostics in restricted mode');

    const bogus = workspaceFile('not-a-model').fsPath;
    const editor = await openPrompt('clean.prompts');
    try {
      await setSetting('render.modelPath', '/user/chosen/model');
      await setSetting('render.modelPath', bogus, vscode.ConfigurationTarget.Workspace);
      const state = await setupProblemAfterRender(api, editor.document.uri);
      // The user's own value is the one tried; the workspace's never reaches the inference service.
      assert.equal(state.setup.modelPath, '/user/chosen/model');
      assert.match(state.setup.problem ?? '', /\/user\/chosen\/model/);
      assert.doesNotMatch(state.setup.problem ?? '', /not-a-model/);
      assert.equal(state.setup.ignoredUntrusted, true, 'the panel does not tell the user the workspace model path was ignored');
    } finally {
      await setSetting('render.modelPath', undefined, vscode.ConfigurationTarget.Workspace);
      await setSetting('render.modelPath', undefined);
    }
  });

  test('rendering through ComfyUI is off: the user\'s comfyui backend is refused before any request', async () => {
    const api = await sprightApi();
    const editor = await openPrompt('clean.prompts');
    try {
      await setSetting('render.backend', 'comfyui');
      await setSetting('render.comfyui.server', 'http://127.0.0.1:8188');
      const state = await setupProblemAfterRender(api, editor.document.uri);
      assert.match(state.setup.problem ?? '', /Rendering through ComfyUI is off in untrusted workspaces/);
    } finally {
      await setSetting('render.backend', undefined);
      await setSetting('render.comfyui.server', undefined);
    }
  });
});
