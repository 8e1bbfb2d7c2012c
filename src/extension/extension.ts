// Entry point: activate() only wires (house style 5). The spine is one Config (settings and their
// change events), one PromptDocuments (which documents are prompts, and their analysis), one
// preview controller (the panel; features talk through it) and one inference service (a child
// process that renders and detects). Each feature is a Disposable class built on them and pushed
// into context.subscriptions; the returned object is the test API documented in api.ts.
import * as vscode from 'vscode';
import { ForkedService } from '../service';
import type { SprightLensApi } from './api';
import { BatchFeature } from './batch/batchFeature';
import { batchCommands } from './batch/commands';
import { Config } from './config';
import { CodeActionsFeature } from './language/codeActions';
import { CodeLensFeature } from './language/codeLens';
import { languageCommands } from './language/commands';
import { DecorationsFeature } from './language/decorations';
import { DiagnosticsFeature } from './language/diagnostics';
import { HoverFeature } from './language/hover';
import { InlayHintsFeature } from './language/inlayHints';
import { Rewriter } from './language/rewriter';
import { StatusBarFeature } from './language/statusBar';
import { DocumentSymbolFeature } from './language/symbols';
import { previewCommands } from './preview/commands';
import { LayoutSchemaProvider, SCHEMA_SCHEME } from './preview/layoutSchemaProvider';
import { PreviewController } from './preview/previewController';
import { PreviewPanel } from './preview/previewPanel';
import { PreviewSerializer } from './preview/serializer';
import { PromptDocuments } from './promptDocuments';
import { renderCommands } from './render/commands';
import { RenderFeature } from './render/renderFeature';
import { CommandManager } from './util/commandManager';

export function activate(context: vscode.ExtensionContext): SprightLensApi {
  try {
    const commands = new CommandManager();
    const config = new Config(context.globalStorageUri);
    const docs = new PromptDocuments(config);
    context.subscriptions.push(commands, config, docs);

    // Language features: one shared analysis, each feature a disposable on top of it.
    const rewriter = new Rewriter(config);
    context.subscriptions.push(
      new DiagnosticsFeature(docs, config),
      new InlayHintsFeature(docs, config),
      new HoverFeature(docs),
      new DocumentSymbolFeature(docs),
      new DecorationsFeature(docs, config),
      new StatusBarFeature(docs),
      new CodeActionsFeature(docs),
      new CodeLensFeature(docs, config),
    );
    commands.register(languageCommands(docs, rewriter, config));
    const analyzer = { parsedLines: (uri: string) => docs.peek(uri) };

    // The inference service (dist/service.js), forked on the first render or detection. A model
    // setting change restarts it, which frees the loaded models (GPU memory included).
    const log = vscode.window.createOutputChannel('SPRIGHT Lens Render', { log: true });
    const service = new ForkedService({
      entry: vscode.Uri.joinPath(context.extensionUri, 'dist', 'service.js').fsPath,
      onLog: (level, message) => (level === 'warn' ? log.warn(message) : log.info(message)),
    });
    context.subscriptions.push(log, service, config.onDidChange('models')(() => service.release()));

    // Preview panel: layout, render, check image, save with overlays, batch results.
    const preview = new PreviewController(
      context.extensionUri,
      docs,
      config,
      // Called lazily (when the panel opens), after `render` and `batch` below exist.
      (): vscode.Uri[] => [...render.outputFolders(), ...batch.outputFolders()],
    );
    const render: RenderFeature = new RenderFeature(preview, service, config);
    const batch: BatchFeature = new BatchFeature(preview, service, config);
    context.subscriptions.push(
      preview,
      render,
      batch,
      vscode.window.registerWebviewPanelSerializer(PreviewPanel.viewType, new PreviewSerializer(preview)),
      // The schema that saved layout files (<prompt file>.layout.json) name in `$schema`.
      vscode.workspace.registerTextDocumentContentProvider(SCHEMA_SCHEME, new LayoutSchemaProvider()),
    );
    commands.register(previewCommands(preview));
    commands.register(renderCommands(render, config, service));
    commands.register(batchCommands(batch));
    const panel = {
      current: () => (preview.panel ? { viewType: PreviewPanel.viewType, lastInitState: preview.panel.lastInitState, state: preview.state() } : undefined),
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
