// Resolves the (uri?, line?) arguments that CodeLens, quick fixes and tests pass to commands,
// falling back to the active editor and its cursor when invoked from the palette.
import * as vscode from 'vscode';

export interface CommandTarget {
  document: vscode.TextDocument;
  line: number;
}

/** The document and zero-based line a prompt command should act on, or undefined with a message shown. */
export async function resolveTarget(uri: unknown, line: unknown): Promise<CommandTarget | undefined> {
  const editor = vscode.window.activeTextEditor;
  let document: vscode.TextDocument | undefined;
  if (uri instanceof vscode.Uri) {
    document = await vscode.workspace.openTextDocument(uri);
  } else if (typeof uri === 'string' && uri.length > 0) {
    document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
  } else {
    document = editor?.document;
  }
  if (!document) {
    void vscode.window.showInformationMessage('SPRIGHT Lens: open a prompt file first.');
    return undefined;
  }
  const fallbackLine = editor && editor.document === document ? editor.selection.active.line : 0;
  const n = typeof line === 'number' && Number.isInteger(line) && line >= 0 ? line : fallbackLine;
  if (n >= document.lineCount) {
    void vscode.window.showWarningMessage(`SPRIGHT Lens: line ${n + 1} is past the end of ${vscode.workspace.asRelativePath(document.uri)}.`);
    return undefined;
  }
  return { document, line: n };
}
