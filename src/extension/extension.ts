// Entry point: activate() only wires (house style 5). Each feature is a Disposable class
// constructed here and pushed into context.subscriptions; the returned object is the test API
// documented in api.ts. Heavy work (models, inference) lives in the worker, never here.
import * as vscode from 'vscode';
import type { SprightLensApi } from './api';
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
import { planLayout } from '../generator/index';
import { PreviewController } from './preview/previewController';
import { PreviewPanel } from './preview/previewPanel';
import { PreviewSerializer } from './preview/serializer';
import { RenderFeature } from './render/renderFeature';
import { WorkerBackend } from './render/workerBackend';
import { PreviewLayoutCommand } from './commands/previewLayout';
import { RenderPreviewCommand } from './commands/renderPreview';
import { CheckImageCommand } from './commands/checkImage';
import { SaveWithOverlaysCommand } from './commands/saveWithOverlays';
import { CancelRenderCommand } from './commands/cancelRender';
import { SelectModelCommand } from './commands/selectModel';
import { BatchFeature } from './batch/batchFeature';
import { RenderAllCommand } from './commands/renderAll';

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

    // Preview panel: layout, render, check image, save with overlays; inference in the worker.
    const log = vscode.window.createOutputChannel('SPRIGHT Lens Render', { log: true });
    const backend = new WorkerBackend(context.extensionUri, log);
    context.subscriptions.push(log, backend);
    const preview = new PreviewController(
      context.extensionUri,
      {
        parsedLines: (doc) => (docs.isPromptDocument(doc) ? docs.get(doc) : []),
        planLayout: (parsed, options) => planLayout(parsed, options),
        rewrite: (parsed, options) => engine.rewrite(parsed, options).text,
      },
      // Called lazily (when the panel opens), after `render` and `batch` below exist.
      (): vscode.Uri[] => [...render.outputFolders(), ...batch.outputFolders()],
    );
    const render: RenderFeature = new RenderFeature(preview, () => backend, context.globalStorageUri);
    context.subscriptions.push(preview, render, vscode.window.registerWebviewPanelSerializer(PreviewPanel.viewType, new PreviewSerializer(preview)));
    commands.register(new PreviewLayoutCommand(preview));
    commands.register(new RenderPreviewCommand(render));
    commands.register(new CheckImageCommand(render));
    commands.register(new SaveWithOverlaysCommand(render));
    commands.register(new CancelRenderCommand(render));
    commands.register(new SelectModelCommand());
    const batch: BatchFeature = new BatchFeature(preview, () => backend, context.globalStorageUri);
    context.subscriptions.push(batch);
    commands.register(new RenderAllCommand(batch));
    const panel = {
      current: () => (preview.panel ? { viewType: PreviewPanel.viewType, lastInitState: preview.panel.lastInitState } : undefined),
    };

    return { analyzer, panel, batch: { lastRun: () => batch.lastRun(), cancel: () => batch.cancel() } };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`SPRIGHT Lens failed to start: ${message}`);
    throw e;
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
