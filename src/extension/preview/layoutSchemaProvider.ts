// Serves the layout file schema under the URI that layout files name in `$schema`
// (spright-lens://schemas/layout-1.json). VS Code's JSON language service uses `$schema` before any
// file association and loads non-http URIs as text documents, so this is what validates layout
// files in the editor, offline and without fetching anything. Activation: onFileSystem:spright-lens.
import * as vscode from 'vscode';
import { LAYOUT_SCHEMA, LAYOUT_SCHEMA_ID } from '../../generator/layoutSchema';

/** The URI scheme of `LAYOUT_SCHEMA_ID`. */
export const SCHEMA_SCHEME = LAYOUT_SCHEMA_ID.slice(0, LAYOUT_SCHEMA_ID.indexOf(':'));

export class LayoutSchemaProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string | undefined {
    return uri.toString() === vscode.Uri.parse(LAYOUT_SCHEMA_ID).toString() ? `${JSON.stringify(LAYOUT_SCHEMA, null, 2)}\n` : undefined;
  }
}
