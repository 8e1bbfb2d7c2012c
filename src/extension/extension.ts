// Entry point: activate() only wires (house style 5). Each feature is a Disposable class
// constructed here and pushed into context.subscriptions; the returned object is the test API
// documented in api.ts. Heavy work (models, inference) lives in the worker, never here.
import * as vscode from 'vscode';
import { noPanel, type SprightLensApi } from './api';
import { CommandManager } from './commands/commandManager';
import { RemoveRelationCommand } from './commands/removeRelation';
import { RewriteAllCommand } from './commands/rewriteAll';
import { RewritePromptCommand } from './commands/rewritePrompt';
import { ToggleInlayHintsCommand } from './commands/toggleInlayHints';
import { CodeActionsFeature } from './language/codeActions';
import { CodeLensFeature } from './language/codeLens';
import { DecorationsFeature } from './language/decorations';
import { DiagnosticsFeature } from './language/diagnostics';
import { createPromptEngine } from './language/engine';
import { HoverFeature } from './language/hover';
import { InlayHintsFeature } from './language/inlayHints';
import { PromptDocuments } from './language/promptDocuments';
import { Rewriter } from './language/rewriter';
import { StatusBarFeature } from './language/statusBar';
import { DocumentSymbolFeature } from './language/symbols';

export function activate(context: vscode.ExtensionContext): SprightLensApi {
  try {
    const commands = new CommandManager();
    context.subscriptions.push(commands);

    // Language features: one shared analysis, each feature a disposable on top of it.
    const engine = createPromptEngine();
    const docs = new PromptDocuments(engine);
    const rewriter = new Rewriter(engine);
    context.subscriptions.push(
      docs,
      new DiagnosticsFeature(docs),
      new InlayHintsFeature(docs),
      new HoverFeature(docs),
      new DocumentSymbolFeature(docs),
      new DecorationsFeature(docs),
      new StatusBarFeature(docs),
      new CodeActionsFeature(docs),
      new CodeLensFeature(docs),
    );
    commands.register(new RewritePromptCommand(docs, rewriter));
    commands.register(new RewriteAllCommand(docs, rewriter));
    commands.register(new RemoveRelationCommand(docs, engine));
    commands.register(new ToggleInlayHintsCommand());
    const analyzer = { parsedLines: (uri: string) => docs.peek(uri) };

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
