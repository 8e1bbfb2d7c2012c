// The small API that activate() returns. It exists for the integration tests (they call
// `extension.activate()` / `extension.exports`), not for other extensions: keep it minimal and
// add only what a test needs. Each field is documented with who fills it.
import type { AnalyzedLine } from '../parser';

/** Language features (diagnostics et al.): the analysis the editor features are built from. */
export interface AnalyzerApi {
  /**
   * The analysed prompts of an open document, by its URI string (`uri.toString()`), as of the
   * last analysis (diagnostics are debounced, so this can lag a keystroke by the debounce delay).
   * Empty when the document is not open or not a prompt document.
   */
  parsedLines(uri: string): AnalyzedLine[];
}

/** What the preview panel reports about itself (filled in by the preview-panel feature). */
export interface PanelApi {
  /**
   * The open preview panel's view type, the last `init` message state it was sent, if any, and
   * the host's state now (as the next `init` would send it: saved layout edits included).
   */
  current(): { viewType: string; lastInitState: unknown; state: unknown } | undefined;
}

/** Batch rendering ("Render All Prompts"), filled in by the batch feature. */
export interface BatchApi {
  /**
   * The batch in progress, else the last one of this session: its folder, images finished (resumed
   * ones included) and in all, whether it was cancelled, and its state and error message.
   */
  lastRun(): { outDir: string; done: number; total: number; cancelled: boolean; state: 'running' | 'finished' | 'cancelled' | 'failed'; message: string | null } | undefined;
  /** Stops the running batch after the current image, as the notification's Cancel button does. */
  cancel(): void;
}

/** The value of `vscode.extensions.getExtension('spright-lens.spright-lens').exports`. */
export interface SprightLensApi {
  analyzer: AnalyzerApi;
  panel: PanelApi;
  batch: BatchApi;
}

/** A panel API for when no panel feature is wired (always reports no panel). */
export const noPanel: PanelApi = { current: () => undefined };
