// What the panel features (render, check image, batch) see of the preview panel: the controller
// in preview/ implements it, activate() hands it to them. Features talk to each other only
// through it (messages in, state out) and through events, never by importing one another.
import type * as vscode from 'vscode';
import type { AnalyzedLine } from '../parser';
import type { FromWebview, ImageView, PanelState, PromptView, ToWebview, ViewOptions } from '../protocol/messages';

/** The prompt the panel points at, with its analysis. */
export interface CurrentPrompt {
  uri: vscode.Uri;
  line: number;
  entry: AnalyzedLine;
  view: PromptView;
}

export type WebviewMessageHandler = (msg: FromWebview) => void | Promise<void>;

export interface PanelHost {
  /** The prompt the panel shows, if any. */
  readonly current: CurrentPrompt | undefined;
  /** The image the panel shows, if any. */
  readonly image: ImageView | null;
  /** The box and label toggles as the user set them. */
  readonly viewOptions: ViewOptions;
  /** Opens (or reveals) the panel on `uri`/`line`, or on the active editor's cursor. */
  show(uri?: vscode.Uri, line?: number): void;
  /** Sends a message and mirrors it into the state a later `init` carries. */
  post(msg: ToWebview): void;
  /** Re-sends the full state. */
  sendInit(): void;
  /** Registers the handler of one webview message type (one per type). */
  on(type: FromWebview['type'], handler: WebviewMessageHandler): void;
  /** Lets a feature build its part of the state at `init` time (the batch page). */
  setBatchSource(source: () => PanelState['batch']): void;
  /**
   * The URI the webview loads `file` from (its folder is allowed first), or undefined when no
   * panel is open.
   */
  webviewUri(file: string): string | undefined;
}
