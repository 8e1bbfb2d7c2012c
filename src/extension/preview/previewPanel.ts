// The preview panel's webview shell (house style 11-13): one panel at a time, strict CSP with a
// fresh nonce per render, every asset through asWebviewUri, no data inlined in the page. State
// goes over postMessage: the webview posts `ready`, the controller answers with `init`.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { FromWebview, PanelState, ToWebview } from '../../protocol/messages';
import { Disposable } from '../util/dispose';
import { parseFromWebview } from '../../view/messageGuard';

/** Builds the panel page; exported for tests of the CSP and asset URIs. */
export function panelHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, extensionUri: vscode.Uri, nonce: string): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'media', 'preview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'preview.css'));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>SPRIGHT Lens Preview</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

/** A nonce from the system CSPRNG, new for every page render. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/** The webview options; also re-applied on revive, since VS Code does not persist them. */
export function panelOptions(extensionUri: vscode.Uri, outputFolders: readonly vscode.Uri[]): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableForms: false,
    enableCommandUris: false,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'media'), vscode.Uri.joinPath(extensionUri, 'media'), ...outputFolders],
  };
}

/** One preview panel: owns the webview, validates its messages, sends typed ones. */
export class PreviewPanel extends Disposable {
  static readonly viewType = 'sprightLens.preview';

  readonly #panel: vscode.WebviewPanel;
  readonly #extensionUri: vscode.Uri;
  #ready = false;
  #lastInitState: PanelState | undefined;
  readonly #onMessage = this._register(new vscode.EventEmitter<FromWebview>());
  readonly #onDispose = this._register(new vscode.EventEmitter<void>());

  /** Messages from the webview, validated; `ready` included. */
  readonly onMessage = this.#onMessage.event;
  /** Fires once when the user closes the panel (or it is disposed). */
  readonly onDidDispose = this.#onDispose.event;

  /** Opens a new panel beside the editor. */
  static create(extensionUri: vscode.Uri, outputFolders: readonly vscode.Uri[]): PreviewPanel {
    const panel = vscode.window.createWebviewPanel(PreviewPanel.viewType, 'SPRIGHT Lens Preview', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, panelOptions(extensionUri, outputFolders));
    return new PreviewPanel(panel, extensionUri, outputFolders);
  }

  /** Adopts a panel VS Code restored after a reload (see PreviewSerializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, outputFolders: readonly vscode.Uri[]): PreviewPanel {
    return new PreviewPanel(panel, extensionUri, outputFolders);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, outputFolders: readonly vscode.Uri[]) {
    super();
    this.#panel = panel;
    this.#extensionUri = extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.options = panelOptions(extensionUri, outputFolders);
    this._register(
      panel.webview.onDidReceiveMessage((data: unknown) => {
        const msg = parseFromWebview(data);
        if (msg === undefined) return;
        if (msg.type === 'ready') this.#ready = true;
        this.#onMessage.fire(msg);
      }),
    );
    this._register(
      panel.onDidDispose(() => {
        this.#onDispose.fire();
        this.dispose();
      }),
    );
    this.#render();
  }

  #render(): void {
    // A new page means a new script instance: it will post `ready` again before anything is sent.
    this.#ready = false;
    this.#panel.webview.html = panelHtml(this.#panel.webview, this.#extensionUri, makeNonce());
  }

  /** Widens the resource roots (a new output folder) and reloads the page if they changed. */
  setOutputFolders(outputFolders: readonly vscode.Uri[]): void {
    const next = panelOptions(this.#extensionUri, outputFolders);
    const now = (this.#panel.webview.options.localResourceRoots ?? []).map((u) => u.toString()).join('|');
    if (now === (next.localResourceRoots ?? []).map((u) => u.toString()).join('|')) return;
    this.#panel.webview.options = next;
    this.#render();
  }

  get webview(): vscode.Webview {
    return this.#panel.webview;
  }

  get visible(): boolean {
    return this.#panel.visible;
  }

  /** The state of the last `init` sent (for the test API). */
  get lastInitState(): PanelState | undefined {
    return this.#lastInitState;
  }

  reveal(): void {
    this.#panel.reveal(undefined, true);
  }

  /**
   * Sends a message once the webview is listening. Before `ready` only `init` matters and the
   * controller sends it in answer to `ready`, so earlier messages are dropped, not queued.
   */
  post(msg: ToWebview): void {
    if (this.isDisposed || !this.#ready) return;
    if (msg.type === 'init') this.#lastInitState = msg.state;
    void this.#panel.webview.postMessage(msg);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.#panel.dispose();
  }
}
