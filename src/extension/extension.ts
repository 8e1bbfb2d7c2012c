// Entry point: activate() only wires (house style 5). Each feature is a Disposable class
// constructed here and pushed into context.subscriptions; the returned object is the test API
// documented in api.ts. Heavy work (models, inference) lives in the worker, never here.
import * as vscode from 'vscode';
import { noPanel, type SprightLensApi } from './api';
import { CommandManager } from './commands/commandManager';

export function activate(context: vscode.ExtensionContext): SprightLensApi {
  try {
    const commands = new CommandManager();
    context.subscriptions.push(commands);

    // Language features (diagnostics, hints, hovers, outline, decorations, status bar,
    // quick fixes, CodeLens, rewrite commands) are registered below as they land.
    const analyzer = { parsedLines: () => [] };

    // Preview panel features register here.
    const panel = noPanel;

    return { analyzer, panel };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`SPRIGHT Lens failed to start: ${message}`);
    throw e;
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
