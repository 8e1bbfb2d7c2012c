// "Render all prompts": runs the batch core (src/batch) in the extension host as orchestration
// only; every render and detection goes through the inference service, so onnxruntime and tfjs
// never load here. A cancellable progress notification with a count and an
// ETA, resume of the last unfinished batch of the same source, a summary notification at the end,
// and the preview panel paging through the images as they arrive.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { BatchError, MANIFEST, parseManifest, REPORT, runBatch, serviceBatchDeps, summarize } from '../../batch/index';
import { batchFolderName, batchTotal, DESCRIPTOR, findPromptFiles, findResumable, promptsFromSources, readDescriptor, sourceKey } from '../../batch/index';
import type { BatchDescriptor, BatchOptions, BatchResult, ManifestRecord, PromptSource } from '../../batch/index';
import { labelMapperFor, PromptSetError } from '../../evaluate/index';
import { PromptFileError } from '../../parser/index';
import type { BatchView } from '../../protocol/messages';
import { defaultThresholdFor, detectorFromName, detectorName } from '../../protocol/service';
import type { InferenceService } from '../../service';
import { FAILED, queuedBatchProblem, runQueuedBatch } from '../../queue/batch';
import { workerCount } from '../../queue/liveness';
import { probeRedis, QueueConnectionError } from '../../queue/redis';
import { parseQueueUrl, QueueUrlError } from '../../queue/url';
import { batchItemImage, BatchRunModel, progressText, summaryText } from '../../view/batchView';
import type { Config, RenderSettings } from '../config';
import { checkModel, renderTarget } from '../model';
import type { PanelHost } from '../panelHost';
import { Disposable } from '../util/dispose';

/** Options for programmatic runs (integration tests); the UI asks instead when they are absent. */
export interface RenderAllOptions {
  /** Output folder to use (resumed when it holds an unfinished batch of the same source). */
  outDir?: string;
  /** true: resume the last unfinished batch of the source if any; false: always start a new one. */
  resume?: boolean;
}

/** What the last (or current) run reports; the test API returns it. */
export interface BatchRunInfo {
  outDir: string;
  done: number;
  total: number;
  cancelled: boolean;
  state: 'running' | 'finished' | 'cancelled' | 'failed';
  /** The error of a failed run, or null. */
  message: string | null;
}

type Descriptor = BatchDescriptor;

interface ActiveRun {
  model: BatchRunModel;
  soft: AbortController;
  hard: AbortController;
  cancelled: boolean;
}

export class BatchFeature extends Disposable {
  readonly #controller: PanelHost;
  readonly #service: InferenceService;
  readonly #config: Config;
  #run: ActiveRun | undefined;
  #info: BatchRunInfo | undefined;
  readonly #folders = new Set<string>();
  /** The run the panel shows: the current one, else the last one. */
  #lastModel: BatchRunModel | undefined;
  #postTimer: ReturnType<typeof setTimeout> | undefined;
  #lastPost = 0;

  constructor(controller: PanelHost, service: InferenceService, config: Config) {
    super();
    this.#controller = controller;
    this.#service = service;
    this.#config = config;
    controller.on('pageBatch', (m) => {
      const model = this.#run?.model ?? this.#lastModel;
      if (m.type !== 'pageBatch' || model?.runId !== m.runId) return;
      model.setPage(m.page);
      this.#postView(true);
    });
    controller.setBatchSource(() => this.#view());
    controller.on('openBatchItem', (m) => (m.type === 'openBatchItem' ? this.#openItem(m.runId, m.itemId) : undefined));
    this._register({
      dispose: () => {
        clearTimeout(this.#postTimer);
        // Deactivation: stop mid-image; the folder stays consistent (atomic writes, append-only manifest).
        this.#run?.soft.abort();
        this.#run?.hard.abort();
      },
    });
  }

  /** Batch folders the panel must be allowed to load images from. */
  outputFolders(): vscode.Uri[] {
    return [...this.#folders].map((f) => vscode.Uri.file(f));
  }

  /** The last run (or the one in progress), for the test API. */
  lastRun(): BatchRunInfo | undefined {
    const r = this.#run;
    if (r) return { outDir: r.model.outDir, done: r.model.done, total: r.model.total, cancelled: r.cancelled, state: r.model.state, message: r.model.message };
    return this.#info;
  }

  /** Stops the running batch after the current image (what the notification's Cancel does). */
  cancel(): void {
    if (!this.#run) return;
    this.#run.cancelled = true;
    this.#run.soft.abort();
  }

  /**
   * Renders every prompt of `target`: a file Uri, a folder Uri (its prompt files, recursively),
   * several Uris (explorer multi-select), or nothing (the active editor's selection, else its file).
   */
  async renderAll(target?: unknown, others?: unknown, options: RenderAllOptions = {}): Promise<BatchRunInfo | undefined> {
    if (this.#run) {
      const m = this.#run.model;
      // Messages are not awaited: the command resolves now (a caller must not wait on a toast).
      void vscode.window.showWarningMessage(`SPRIGHT Lens: a batch is already running (${m.done}/${m.total} images in ${m.outDir}).`, 'Stop it', 'Show in panel').then((pick) => {
        if (pick === 'Stop it') this.cancel();
        else if (pick === 'Show in panel') this.#showPanel();
      });
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window
        .showErrorMessage(
          'SPRIGHT Lens: "Render All Prompts" is off in an untrusted workspace, because it loads model files and runs them from paths in settings. Trust this workspace to render batches.',
          'Manage Workspace Trust',
        )
        .then((pick) => (pick ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
      return undefined;
    }
    const resolved = await this.#sources(target, others);
    if (!resolved) return undefined;
    const { sources, scope, title } = resolved;
    let prompts;
    try {
      prompts = promptsFromSources(sources);
    } catch (err) {
      if (err instanceof PromptFileError || err instanceof PromptSetError) {
        void vscode.window.showErrorMessage(`SPRIGHT Lens: ${err.message}`);
        return undefined;
      }
      throw err;
    }
    if (prompts.length === 0) {
      void vscode.window.showInformationMessage(`SPRIGHT Lens: no prompts in ${title}; write one prompt a line (# starts a comment).`);
      return undefined;
    }

    const settings = this.#config.render(scope);
    // The model's identity is part of every image's resume key.
    const checked = await this.#checkedModel(scope);
    if (checked === undefined) return undefined;

    const ds = this.#config.detect(scope);
    const bs = this.#config.batch(scope);
    const key = sourceKey(sources);
    const fresh: Descriptor = {
      version: 1,
      sourceKey: key,
      title,
      startedAt: new Date().toISOString(),
      options: {
        prompts,
        imagesPerPrompt: bs.imagesPerPrompt,
        // A random seed per batch would make two batches incomparable; -1 ("random") becomes 0 as in the CLI.
        seed: settings.seed >= 0 ? settings.seed : 0,
        rewrite: bs.rewrite,
        render: {
          model: checked.dir,
          modelId: checked.identity,
          steps: settings.steps,
          guidance: settings.guidance,
          width: settings.width,
          height: settings.height,
          scheduler: settings.scheduler,
          negativePrompt: settings.negativePrompt,
          // Best-of picks by the panel's rule; a plain batch records no best-of settings.
          ...(settings.bestOf > 1 ? { bestOf: { n: settings.bestOf, untilSatisfied: settings.untilSatisfied, rule: this.#config.evaluationRule(scope) } } : {}),
        },
        // Detection runs at the detector's own threshold, so that is also the floor.
        detection: {
          detector: detectorName(ds.detector === 'owlvit' ? { kind: 'owlvit', modelDir: ds.owlvitPath } : { kind: 'embedded' }),
          threshold: defaultThresholdFor(ds.detector),
        },
      },
      total: 0,
    };
    fresh.total = batchTotal(fresh.options);

    const chosen = await this.#chooseFolder(scope, key, fresh, options);
    if (!chosen) return undefined;
    const { dir, descriptor } = chosen;
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, DESCRIPTOR), JSON.stringify(descriptor, null, 2) + '\n');
    } catch (err) {
      void vscode.window.showErrorMessage(`SPRIGHT Lens: cannot write to ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose a writable folder or set sprightLens.render.outputFolder.`);
      return undefined;
    }
    return this.#execute(dir, descriptor, settings, bs.queue);
  }

  async #sources(target: unknown, others: unknown): Promise<{ sources: PromptSource[]; scope: vscode.Uri; title: string } | undefined> {
    const editor = vscode.window.activeTextEditor;
    const uris = Array.isArray(others) && others.every((u) => u instanceof vscode.Uri) && others.length > 1 ? (others as vscode.Uri[]) : target instanceof vscode.Uri ? [target] : [];
    if (uris.length === 0) {
      if (!editor) {
        void vscode.window.showInformationMessage('SPRIGHT Lens: open a prompt file, or right-click a prompt file or folder in the explorer, then run "Render All Prompts".');
        return undefined;
      }
      return { ...this.#fromDocument(editor.document, editor.selection), scope: editor.document.uri };
    }
    // From the editor (title or context menu) with a selection: the selected lines.
    if (uris.length === 1 && editor && editor.document.uri.toString() === uris[0].toString() && !Array.isArray(others)) {
      return { ...this.#fromDocument(editor.document, editor.selection), scope: editor.document.uri };
    }
    const files: string[] = [];
    for (const uri of uris) {
      if (uri.scheme !== 'file') {
        void vscode.window.showErrorMessage(`SPRIGHT Lens: ${uri.toString()} is not on this machine's disk; batches read and write local files.`);
        return undefined;
      }
      let isDir: boolean;
      try {
        isDir = (await fs.stat(uri.fsPath)).isDirectory();
      } catch {
        void vscode.window.showErrorMessage(`SPRIGHT Lens: ${uri.fsPath} does not exist.`);
        return undefined;
      }
      if (isDir) {
        const found = await findPromptFiles(uri.fsPath);
        if (found.length === 0) {
          void vscode.window.showInformationMessage(`SPRIGHT Lens: no .prompt or .prompts files in ${vscode.workspace.asRelativePath(uri)}.`);
          return undefined;
        }
        files.push(...found);
      } else files.push(uri.fsPath);
    }
    const sources: PromptSource[] = [];
    for (const file of [...new Set(files)]) {
      // Unsaved edits count: the user renders what they see.
      const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
      let text: string;
      try {
        text = open ? open.getText() : await fs.readFile(file, 'utf8');
      } catch (err) {
        void vscode.window.showErrorMessage(`SPRIGHT Lens: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
        return undefined;
      }
      sources.push({ file, label: vscode.workspace.asRelativePath(file), text });
    }
    const first = uris[0];
    const title = uris.length === 1 ? vscode.workspace.asRelativePath(first) : `${uris.length} items`;
    return { sources, scope: first, title: sources.length > 1 ? `${title} (${sources.length} files)` : title };
  }

  #fromDocument(document: vscode.TextDocument, selection: vscode.Selection): { sources: PromptSource[]; title: string } {
    const label = vscode.workspace.asRelativePath(document.uri);
    const file = document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.path;
    if (selection.isEmpty) return { sources: [{ file, label, text: document.getText() }], title: label };
    // A selection that ends at the start of a line does not include that line.
    const endLine = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line - 1 : selection.end.line;
    const lines = { start: selection.start.line + 1, end: endLine + 1 };
    return { sources: [{ file, label, text: document.getText(), lines }], title: `${label} (lines ${lines.start}-${lines.end})` };
  }

  /** The same check as Render Preview; an unusable model opens the panel's first-run card. */
  async #checkedModel(scope: vscode.Uri): Promise<{ dir: string; identity: string } | undefined> {
    const { setup, model } = await checkModel(this.#config, this.#service, scope);
    if (model !== null) return model;
    const problem = setup.problem;
    this.#controller.show(scope);
    this.#controller.post({
      type: 'renderError',
      requestId: `batch-setup-${Date.now().toString(36)}`,
      message: problem ?? 'No render model is configured: see "Rendering needs a local model" below.',
      cancelled: false,
      setup,
    });
    this.#controller.sendInit();
    void vscode.window
      .showWarningMessage(
        `SPRIGHT Lens: rendering all prompts needs a local model. ${problem ?? 'Export SPRIGHT-T2I/spright-t2i-sd2 to ONNX with optimum-cli (the preview panel shows how), then select its folder.'}`,
        'Select Model Folder',
      )
      .then((pick) => (pick ? vscode.commands.executeCommand('sprightLens.selectModel') : undefined));
    return undefined;
  }

  async #chooseFolder(scope: vscode.Uri, key: string, fresh: Descriptor, options: RenderAllOptions): Promise<{ dir: string; descriptor: Descriptor } | undefined> {
    const root = this.#config.renderOutputFolder(scope).fsPath;
    const newIn = (parent: string): string => path.join(parent, batchFolderName(new Date()));
    const resumeOrFresh = async (dir: string): Promise<{ dir: string; descriptor: Descriptor } | undefined> => {
      const old = (await readDescriptor(dir)) as Descriptor | undefined;
      if (old && old.sourceKey !== key) {
        // Replacing its descriptor would make that batch impossible to resume from VS Code.
        void vscode.window.showErrorMessage(`SPRIGHT Lens: ${dir} holds a batch of ${old.title}, not of ${fresh.title}; choose an empty folder for this one.`);
        return undefined;
      }
      return { dir, descriptor: old ?? fresh };
    };
    if (options.outDir !== undefined) return resumeOrFresh(path.resolve(options.outDir));
    const resumable = await findResumable(root, key);
    if (options.resume !== undefined) {
      return options.resume && resumable ? { dir: resumable.dir, descriptor: resumable.descriptor as Descriptor } : { dir: newIn(root), descriptor: fresh };
    }
    const o = fresh.options;
    const shape = `${o.prompts.length} prompt${o.prompts.length === 1 ? '' : 's'} × ${o.imagesPerPrompt} image${o.imagesPerPrompt === 1 ? '' : 's'}${o.rewrite === 'both' ? ' × 2 (as written and rewritten)' : o.rewrite === 'only' ? ' (rewritten)' : ''}`;
    type Item = vscode.QuickPickItem & { run: 'resume' | 'new' | 'choose' };
    const items: Item[] = [];
    if (resumable) {
      items.push({ run: 'resume', label: `$(debug-continue) Resume ${path.basename(resumable.dir)}`, description: `${resumable.done}/${resumable.descriptor.total} images done`, detail: `Renders only the missing images, with the settings it started with (${resumable.dir})` });
    }
    items.push({ run: 'new', label: '$(add) New batch', description: `${fresh.total} images`, detail: `In ${path.join(root, 'batch-<date>-<time>')}` });
    items.push({ run: 'choose', label: '$(folder-opened) New batch in a folder I choose…', description: `${fresh.total} images` });
    const picked = await vscode.window.showQuickPick(items, { title: `Render all prompts: ${fresh.title}, ${shape} = ${fresh.total} images`, placeHolder: 'Where should the images and the report go?' });
    if (!picked) return undefined;
    if (picked.run === 'resume' && resumable) return { dir: resumable.dir, descriptor: resumable.descriptor as Descriptor };
    if (picked.run === 'new') return { dir: newIn(root), descriptor: fresh };
    const folder = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Render the batch here', title: 'Output folder for images, manifest.jsonl and report.html' });
    if (!folder?.[0]) return undefined;
    return resumeOrFresh(folder[0].fsPath);
  }

  async #execute(dir: string, descriptor: Descriptor, settings: RenderSettings, queue: string): Promise<BatchRunInfo> {
    const options: BatchOptions = { ...descriptor.options, outDir: dir };
    const runId = `batch-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const model = new BatchRunModel(runId, dir, `${descriptor.title} (${path.basename(dir)})`, descriptor.total);
    const run: ActiveRun = { model, soft: new AbortController(), hard: new AbortController(), cancelled: false };
    this.#run = run;
    this.#folders.add(dir);
    // Images finished by an earlier run show at once; the core confirms them as it resumes.
    try {
      for (const r of parseManifest(await fs.readFile(path.join(dir, MANIFEST), 'utf8')).records) model.add(r);
    } catch {
      // No manifest yet: a new batch.
    }
    this.#postView(true);
    // The panel (beside, focus kept) shows the images as they arrive; opening it also applies
    // its resource roots, which now include this folder.
    this.#controller.show();

    const detection = descriptor.options.detection;
    const detector = detectorFromName(detection.detector) ?? { kind: 'embedded' };
    // The same render and detect as the CLI's batch: the service writes each PNG in place.
    const { backend, comfyui } = renderTarget(settings, options.render.model);
    const deps = serviceBatchDeps(this.#service, options, { backend, comfyui, provider: settings.provider, deviceId: settings.deviceId, memory: settings.memory, threads: settings.threads > 0 ? settings.threads : undefined, detector, floor: detection.floor ?? detection.threshold });

    let result: BatchResult | undefined;
    let failure: string | null = null;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SPRIGHT Lens: rendering ${descriptor.title}`, cancellable: true },
      async (progress, token) => {
        let reported = 0;
        let last = { done: 0, total: descriptor.total, etaMs: null as number | null };
        const report = (): void => {
          const pctNow = last.total > 0 ? (100 * last.done) / last.total : 100;
          progress.report({ message: progressText(last.done, last.total, last.etaMs, run.cancelled && last.done < last.total), increment: pctNow - reported });
          reported = pctNow;
        };
        const sub = token.onCancellationRequested(() => {
          this.cancel();
          report();
        });
        try {
          if (queue) {
            // sprightLens.batch.queue: the same batch, rendered by `spright-lens worker` processes.
            const unsupported = queuedBatchProblem(backend, options.render.bestOf?.n);
            if (unsupported) throw new BatchError(`sprightLens.batch.queue: ${unsupported}`);
            result = await this.#runQueued(options, queue, deps, run, model, (done, total, etaMs, workers) => {
              last = { done, total, etaMs };
              const pctNow = total > 0 ? (100 * done) / total : 100;
              progress.report({ message: `${progressText(done, total, etaMs, run.cancelled && done < total)} · ${workers}`, increment: pctNow - reported });
              reported = pctNow;
              this.#postView(false);
            });
          } else result = await runBatch(
            options,
            deps,
            {
              onProgress: (p) => {
                const changed = p.done !== last.done || p.current === null || p.current.step === undefined;
                last = { done: p.done, total: p.total, etaMs: p.etaMs };
                model.total = p.total;
                model.etaMs = p.etaMs;
                // Step events are frequent; the notification and the panel move per image.
                if (changed) {
                  report();
                  this.#postView(false);
                }
              },
              onImage: (record: ManifestRecord) => {
                model.add(record);
                this.#postView(false);
              },
              onWarning: (m) => void vscode.window.showWarningMessage(`SPRIGHT Lens: ${m}`),
            },
            run.soft.signal,
            run.hard.signal,
          );
        } catch (err) {
          failure = err instanceof BatchError ? err.message : `${err instanceof Error ? err.message : String(err)} (finished images are kept; run "Render All Prompts" on the same source again to resume)`;
        } finally {
          sub.dispose();
        }
      },
    );

    if (result) for (const r of result.records) model.add(r);
    model.state = failure !== null ? 'failed' : result?.cancelled ? 'cancelled' : 'finished';
    model.message = failure;
    this.#postView(true);
    this.#run = undefined;
    const info: BatchRunInfo = { outDir: dir, done: model.done, total: model.total, cancelled: result ? result.cancelled : run.cancelled, state: model.state, message: failure };
    this.#info = info;
    this.#announce(info, result);
    return info;
  }

  /**
   * Runs the batch on the render queue at `url` and follows it; images show in the panel as the
   * coordinator collects them. Stopping (Cancel) only stops following: the workers go on, and
   * running Render All Prompts on the same source again follows the batch to its end.
   */
  async #runQueued(
    options: BatchOptions,
    url: string,
    deps: ReturnType<typeof serviceBatchDeps>,
    run: ActiveRun,
    model: BatchRunModel,
    report: (done: number, total: number, etaMs: number | null, workers: string) => void,
  ): Promise<BatchResult> {
    let target;
    try {
      target = parseQueueUrl(url, process.env);
      await probeRedis(target);
    } catch (err) {
      if (err instanceof QueueUrlError || err instanceof QueueConnectionError) throw new BatchError(`sprightLens.batch.queue: ${err.message}`);
      throw err;
    }
    const r = await runQueuedBatch(
      { options, target, mode: 'enqueue', follow: true },
      { rewrite: deps.rewrite, detect: deps.detect },
      {
        onStatus: (s) => {
          model.total = s.total;
          model.etaMs = s.etaMs;
          report(s.done + s.failed, s.total, s.etaMs, workerCount(s.workers));
        },
        onImage: (record) => {
          model.add(record);
          this.#postView(false);
        },
        onWarning: (m) => void vscode.window.showWarningMessage(`SPRIGHT Lens: ${m}`),
      },
      run.soft.signal,
    );
    if (r.failures.length) {
      void vscode.window.showWarningMessage(`SPRIGHT Lens: ${r.failures.length} image${r.failures.length === 1 ? '' : 's'} failed every attempt (${FAILED} and the report list them); Render All Prompts on the same source tries them again.`);
    }
    return { rendered: r.added, skipped: r.total - r.added, redetected: r.redetected, candidatesRendered: r.added, total: r.total, cancelled: !r.complete, corruptedLines: [], records: r.records };
  }

  /** The closing notification: figures, and buttons to open the report or the panel. */
  #announce(info: BatchRunInfo, result: BatchResult | undefined): void {
    const folder = path.basename(info.outDir);
    const figures = result ? summaryText(summarize(result.records)) : '';
    const buttons = result ? ['Open report', 'Show in panel'] : ['Show in panel', 'Open folder'];
    const shown =
      info.state === 'failed'
        ? vscode.window.showErrorMessage(`SPRIGHT Lens: the batch in ${folder} stopped: ${info.message ?? 'unknown error'}`, ...buttons)
        : info.state === 'cancelled'
          ? vscode.window.showInformationMessage(`SPRIGHT Lens: stopped after ${info.done}/${info.total} images in ${folder}; run "Render All Prompts" on the same source to resume. ${figures}`, ...buttons)
          : vscode.window.showInformationMessage(`SPRIGHT Lens: ${info.total} images in ${folder}. ${figures}`, ...buttons);
    void shown.then(async (pick) => {
      if (pick === 'Open report') await this.#openReport(info.outDir);
      else if (pick === 'Show in panel') this.#showPanel();
      else if (pick === 'Open folder') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(info.outDir));
    });
  }

  async #openReport(dir: string): Promise<void> {
    const report = vscode.Uri.file(path.join(dir, REPORT));
    // The report is self-contained HTML; the system browser shows it best. Remote or sandboxed
    // hosts may refuse a file: URI, so fall back to revealing the file.
    const opened = await vscode.env.openExternal(report).then(
      (ok) => ok,
      () => false,
    );
    if (!opened) await vscode.commands.executeCommand('revealFileInOS', report);
  }

  #showPanel(): void {
    this.#controller.show();
    this.#postView(true);
  }

  /** The page the panel shows, with image URIs for the live webview; null before any batch. */
  #view(): BatchView | null {
    const model = this.#run?.model ?? this.#lastModel;
    if (!model) return null;
    const rule = this.#config.evaluationRule(this.#controller.current?.uri);
    return model.view(rule, (file) => this.#controller.webviewUri(file) ?? vscode.Uri.file(file).toString());
  }

  /** Sends the current page to the panel, at most a few times a second unless `now`. */
  #postView(now: boolean): void {
    if (this.#run) this.#lastModel = this.#run.model;
    const wait = 300 - (Date.now() - this.#lastPost);
    clearTimeout(this.#postTimer);
    if (!now && wait > 0) {
      this.#postTimer = setTimeout(() => this.#postView(true), wait);
      return;
    }
    this.#lastPost = Date.now();
    const batch = this.#view();
    if (batch) this.#controller.post({ type: 'batchPage', batch });
  }

  /** Shows one finished image large in the panel, with its detections judged on the prompt. */
  #openItem(runId: string, id: string): void {
    const model = this.#run?.model ?? this.#lastModel;
    if (!model || model.runId !== runId) return;
    const record = model.record(id);
    if (!record) return;
    const uri = vscode.Uri.file(path.join(model.outDir, record.file));
    const image = batchItemImage({
      record,
      runId,
      outDir: model.outDir,
      src: this.#controller.webviewUri(uri.fsPath) ?? '',
      fileUri: uri.toString(),
      rule: this.#config.evaluationRule(this.#controller.current?.uri),
      // The detector recorded with the image decides what it could know, as in summary.json.
      labelFor: labelMapperFor(record.parameters.detector),
    });
    this.#controller.post({ type: 'showImage', image });
  }
}
