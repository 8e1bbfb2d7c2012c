// Restores the preview panel after a window reload: VS Code hands back the webview panel and the
// state the webview saved with setState; options are re-applied (they are not persisted).
import type * as vscode from 'vscode';
import type { PreviewController } from './previewController';

export class PreviewSerializer implements vscode.WebviewPanelSerializer<unknown> {
  readonly #controller: PreviewController;

  constructor(controller: PreviewController) {
    this.#controller = controller;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.#controller.revive(panel, state);
  }
}
