import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, openPrompt, waitFor } from './helpers';

suite('activation', () => {
  test('the extension activates on a .prompts file and sets the language', async () => {
    const editor = await openPrompt('clean.prompts');
    assert.equal(editor.document.languageId, 'spatial-prompt');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    // Activation comes from onLanguage:spatial-prompt, not from the test asking for it.
    await waitFor(() => ext.isActive, 'activation by opening a .prompts file');
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('the extension under test is the .vsix install when the runner installed one', function () {
    const vsix = process.env.SPRIGHT_TEST_VSIX;
    if (!vsix) this.skip();
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const checkout = path.resolve(__dirname, '..', '..', '..', '..');
    assert.notEqual(path.resolve(ext.extensionPath), checkout, 'the checkout was loaded instead of the installed .vsix');
    // What a user installs: minified bundles, the native runtime and the detector weights.
    for (const f of ['package.json', 'dist/extension.js', 'dist/service.js', 'dist/media/preview.js', 'models/nanodet/nanodet.json', 'schemas/layout.schema.json']) {
      assert.ok(fs.existsSync(path.join(ext.extensionPath, f)), `${f} is missing from the installed extension`);
    }
    assert.ok(!fs.existsSync(path.join(ext.extensionPath, 'src')), 'sources were packaged');
    console.log(`    installed at ${ext.extensionPath}`);
  });
});
