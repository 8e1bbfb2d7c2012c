/** Small waiting and lookup helpers for the integration tests. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SprightLensApi } from '../../../src/extension/api';
import type { PanelState } from '../../../src/protocol/messages';

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

/** The state the preview panel last received in `init`, if a panel is open. */
export async function panelState(): Promise<PanelState | undefined> {
  return (await sprightApi()).panel.current()?.lastInitState as PanelState | undefined;
}

/** Re-sends `init` (as revealing the panel does) until `probe` accepts the state. */
export async function waitForPanel<T>(uri: vscode.Uri, line: number, probe: (s: PanelState) => T, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  return waitFor(
    async () => {
      await vscode.commands.executeCommand('sprightLens.previewLayout', uri, line);
      const s = await panelState();
      return s ? probe(s) : undefined;
    },
    what,
    timeoutMs,
  );
}

/** Whether the runner can act in the webview's DOM (code-server runs; see webviewDriver.mjs). */
export const webviewDriver = process.env.SPRIGHT_WEBVIEW_DRIVER === '1';

let driverRequests = 0;

/** What `driveWebview` saw: the snapshots its steps asked for (see webviewDriver.mjs). */
export interface WebviewRun {
  snapshots: Record<string, WebviewSnapshot>;
}

/** The preview panel's DOM as a driver snapshot records it. */
export interface WebviewSnapshot {
  relations: string[];
  checks: string[];
  editable: string | null;
  source: string | null;
  stale: string | null;
  regionGuide: boolean | null;
  focused: string | null;
  boxes: Record<string, { x: number; y: number; w: number; h: number; violated: string | null; tabindex: string | null; label: string | null }>;
}

/**
 * Runs `steps` in the preview webview's DOM through the runner (webviewDriver.mjs): pointer
 * events, key presses and clicks dispatched in the real webview document. Fails with the step
 * that went wrong.
 */
export async function driveWebview(steps: unknown[], timeoutMs = 60_000): Promise<WebviewRun> {
  const id = `req-${process.pid}-${++driverRequests}`;
  const file = workspaceFile(path.join('.spright-webview', `${id}.json`)).fsPath;
  console.log(`[[spright-webview]] ${JSON.stringify({ id, steps })}`);
  const text = await waitFor(() => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined), `the webview driver to run ${id}`, timeoutMs);
  const result = JSON.parse(text) as ({ ok: true } & WebviewRun) | { ok: false; error: string };
  if (!result.ok) assert.fail(`in the webview: ${result.error}`);
  return result;
}
