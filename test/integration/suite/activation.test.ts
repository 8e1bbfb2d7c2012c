import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, openPrompt } from './helpers';

suite('activation', () => {
  test('the extension activates on a .prompts file and sets the language', async () => {
    const editor = await openPrompt('clean.prompts');
    assert.equal(editor.document.languageId, 'spatial-prompt');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });
});
