/** Small waiting and lookup helpers for the integration tests. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SprightLensApi } from '../../../src/extension/api';

export const EXTENSION_ID = 'spright-lens.spright-lens';

export function workspaceFile(name: string): vscode.Uri {
  const ws = process.env.SPRIGHT_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(ws, 'no test workspace');
  return vscode.Uri.file(path.join(ws, name));
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export async function openPrompt(name: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(workspaceFile(name));
  return vscode.window.showTextDocument(doc);
}

export function sprightDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'SPRIGHT Lens');
}

export function diagnosticCode(d: vscode.Diagnostic): string {
  const c = d.code;
  return typeof c === 'object' && c !== null ? String(c.value) : String(c);
}

/** The test API activate() returns (src/extension/api.ts), activating the extension if needed. */
export async function sprightApi(): Promise<SprightLensApi> {
  const ext = vscode.extensions.getExtension<SprightLensApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Replaces one whole line of `doc` through a WorkspaceEdit (as a user edit would arrive). */
export async function replaceLine(doc: vscode.TextDocument, line: number, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, doc.lineAt(line).range, text);
  assert.equal(await vscode.workspace.applyEdit(edit), true, `could not edit line ${line} of ${doc.uri.fsPath}`);
}

/** Reverts an edited document to its saved text, so the next test starts from the fixture. */
export async function revert(editor: vscode.TextEditor): Promise<void> {
  // The revert command acts on the active editor; when it lands before this editor has taken the
  // focus (a panel opened by an earlier test), the document stays dirty: show it and revert again.
  await waitFor(async () => {
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    return !editor.document.isDirty;
  }, `${editor.document.uri.fsPath} to be reverted`);
}

/** Sets a sprightLens.* setting globally (undefined removes it) and lets listeners run. */
export async function setSetting(key: string, value: unknown, target = vscode.ConfigurationTarget.Global): Promise<void> {
  await vscode.workspace.getConfiguration('sprightLens').update(key, value, target);
}

/** The text of an inlay hint label, whether a string or label parts. */
export function hintText(h: vscode.InlayHint): string {
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}

/** The markdown/plain text of hover contents. */
export function hoverText(hovers: readonly vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}
