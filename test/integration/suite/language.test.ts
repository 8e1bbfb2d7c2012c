// What a prompt writer sees in the editor: problems, hovers, quick fixes, CodeLens, inlay hints,
// and the settings that switch them off. Everything goes through the real VS Code API
// (the execute*Provider commands), as the editor itself asks the providers.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { diagnosticCode, hintText, hoverText, openPrompt, replaceLine, revert, setSetting, sprightApi, sprightDiagnostics, waitFor } from './helpers';

function codes(uri: vscode.Uri): string[] {
  return sprightDiagnostics(uri).map(diagnosticCode).sort();
}

async function hints(doc: vscode.TextDocument): Promise<string[]> {
  const range = new vscode.Range(0, 0, doc.lineCount, 0);
  const found = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range);
  return (found ?? []).map(hintText);
}

suite('language features', () => {
  suiteSetup(async () => {
    await sprightApi();
  });

  test('a contradiction is reported on its prompt line and goes away when the text is fixed', async () => {
    const editor = await openPrompt('contradiction.prompts');
    const uri = editor.document.uri;
    const diags = await waitFor(() => {
      const d = sprightDiagnostics(uri).filter((x) => diagnosticCode(x) === 'contradiction');
      return d.length > 0 ? d : undefined;
    }, 'a contradiction diagnostic');
    assert.ok(
      diags.every((d) => d.range.start.line === 1),
      `contradiction reported off the prompt line: ${JSON.stringify(diags.map((d) => d.range))}`,
    );
    assert.ok(diags.every((d) => d.source === 'SPRIGHT Lens'));
    // The comment line 0 is never analysed.
    assert.equal((await sprightApi()).analyzer.parsedLines(uri.toString()).filter((l) => l.line === 0).length, 0);

    await replaceLine(editor.document, 1, 'a cat to the left of a dog.');
    await waitFor(() => codes(uri).length === 0, 'the contradiction to clear after the fix (debounced analysis)');
    await revert(editor);
    await waitFor(() => codes(uri).includes('contradiction'), 'the contradiction to come back after revert');
  });

  test('a vague prompt (objects, no relation) gets a "vague" problem that a relation fixes', async () => {
    const editor = await openPrompt('vague.prompts');
    const uri = editor.document.uri;
    await waitFor(() => codes(uri).includes('vague'), 'a vague diagnostic');
    await replaceLine(editor.document, 1, 'a cat to the left of a dog');
    await waitFor(() => !codes(uri).includes('vague'), 'the vague diagnostic to clear');
    assert.deepEqual(codes(uri), []);
    await revert(editor);
    await waitFor(() => codes(uri).includes('vague'), 'the vague diagnostic after revert');
  });

  test('hover on a prompt names its objects and relations', async () => {
    const editor = await openPrompt('clean.prompts');
    const uri = editor.document.uri;
    const api = await sprightApi();
    await waitFor(() => api.analyzer.parsedLines(uri.toString()).length === 2, 'clean.prompts analysed');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(0, 10));
    const text = hoverText(hovers ?? []);
    for (const word of ['apple', 'bowl', 'left_of']) assert.ok(text.includes(word), `hover lacks '${word}':\n${text}`);
    const second = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(1, 3))) ?? []);
    for (const word of ['lamp', 'table', 'above']) assert.ok(second.includes(word), `hover on line 2 lacks '${word}':\n${second}`);
  });

  test('the rewrite quick fix on a vague prompt edits the document, and undo restores it', async () => {
    const editor = await openPrompt('vague.prompts');
    const doc = editor.document;
    const before = doc.getText();
    const vague = await waitFor(() => sprightDiagnostics(doc.uri).find((d) => diagnosticCode(d) === 'vague'), 'a vague diagnostic');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, vague.range, vscode.CodeActionKind.QuickFix.value);
    const fix = (actions ?? []).find((a) => a.kind?.value === vscode.CodeActionKind.QuickFix.value && /Rewrite/.test(a.title));
    assert.ok(fix, `no rewrite quick fix among ${JSON.stringify((actions ?? []).map((a) => a.title))}`);
    if (fix.edit) await vscode.workspace.applyEdit(fix.edit);
    if (fix.command) await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
    const rewritten = doc.lineAt(1).text;
    assert.notEqual(rewritten, 'a cat and a dog', 'the quick fix did not change the prompt');
    assert.match(rewritten, /cat/);
    assert.match(rewritten, /dog/);
    assert.equal(doc.lineAt(0).text, '# vague: two objects, no relation', 'the comment line was touched');
    await waitFor(() => !sprightDiagnostics(doc.uri).some((d) => diagnosticCode(d) === 'vague'), 'the rewrite to leave no vague problem');

    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => doc.getText() === before, 'undo to restore the prompt');
    assert.equal(doc.isDirty, false, 'undo did not bring the document back to its saved state');
  });

  test('CodeLens offers Rewrite / Preview layout / Render preview with registered commands', async () => {
    const editor = await openPrompt('clean.prompts');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    const titles = (lenses ?? []).map((l) => l.command?.title);
    // Two prompt lines, three lenses each.
    assert.equal(titles.filter((t) => t === 'Rewrite').length, 2, JSON.stringify(titles));
    assert.equal(titles.filter((t) => t === 'Preview layout').length, 2, JSON.stringify(titles));
    assert.equal(titles.filter((t) => t === 'Render preview').length, 2, JSON.stringify(titles));
    const all = new Set(await vscode.commands.getCommands(true));
    for (const l of lenses ?? []) assert.ok(l.command && all.has(l.command.command), `CodeLens command ${l.command?.command} is not registered`);
    // The lenses point at their own lines.
    assert.deepEqual([...new Set((lenses ?? []).map((l) => l.range.start.line))].sort(), [0, 1]);
  });

  test('inlay hints show the parsed relation, and the setting turns them off', async () => {
    const editor = await openPrompt('clean.prompts');
    const shown = await hints(editor.document);
    assert.ok(shown.includes('left_of(apple, bowl)'), `hints: ${JSON.stringify(shown)}`);
    assert.ok(shown.includes('above(lamp, table)'), `hints: ${JSON.stringify(shown)}`);
    try {
      await setSetting('inlayHints.enabled', false);
      await waitFor(async () => (await hints(editor.document)).length === 0, 'no inlay hints with sprightLens.inlayHints.enabled = false');
      // The toggle command flips it back on.
      assert.equal(await vscode.commands.executeCommand('sprightLens.toggleInlayHints'), true);
      await waitFor(async () => (await hints(editor.document)).includes('left_of(apple, bowl)'), 'hints back after sprightLens.toggleInlayHints');
    } finally {
      await setSetting('inlayHints.enabled', undefined);
    }
  });

  test('sprightLens.diagnostics.enabled = false clears the problems; true brings them back', async () => {
    const editor = await openPrompt('contradiction.prompts');
    const uri = editor.document.uri;
    await waitFor(() => codes(uri).includes('contradiction'), 'a contradiction diagnostic');
    try {
      await setSetting('diagnostics.enabled', false);
      await waitFor(() => sprightDiagnostics(uri).length === 0, 'problems cleared when diagnostics are disabled');
    } finally {
      await setSetting('diagnostics.enabled', undefined);
    }
    await waitFor(() => codes(uri).includes('contradiction'), 'problems back when diagnostics are enabled again');
  });

  test('sprightLens.codeLens.enabled = false removes the CodeLens', async () => {
    const editor = await openPrompt('clean.prompts');
    try {
      await setSetting('codeLens.enabled', false);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
      assert.equal((lenses ?? []).length, 0);
    } finally {
      await setSetting('codeLens.enabled', undefined);
    }
  });
});
