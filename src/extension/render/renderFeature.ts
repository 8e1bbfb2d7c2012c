// Render preview, check image, save with overlays: the panel features that use the inference
// worker. Each request has a requestId and an AbortController; results are written with
// writeFileUnique, so an earlier render or overlay file is never overwritten.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { randomInt } from 'node:crypto';
import type { DetectionState, ImageView, ModelSetupView } from '../../protocol/messages';
import { formatRate, formatSeconds, formatSummary } from '../../render/progress';
import type { ParsedPrompt } from '../../parser/types';
import { decodePng, encodePng, ImageFormatError } from '../../image/index';
import { writeFileUnique } from '../../io/atomic';
import { evaluateImage, promptFromParsed } from '../../evaluate/index';
import { mapToDetectorLabel } from '../../detect/labels';
import * as config from '../config';
import { Disposable } from '../util/dispose';
import type { PreviewController } from '../preview/previewController';
import { modelSetup } from '../preview/previewController';
import { detectionView } from '../preview/viewModel';
import { decodePngDataUrl } from '../preview/messageGuard';
import type { InferenceBackend } from './inference';
import { drawOverlays } from './overlay';
import { fileStem } from './fileStem';

/** The folder renders go to: the setting, else `spright-renders` in the workspace, else global storage. */
export function outputFolder(scope: vscode.Uri | undefined, globalStorage: vscode.Uri): vscode.Uri {
  const configured = config.renderSettings(scope).outputFolder;
  const ws = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
  if (configured.length > 0) {
    if (path.isAbsolute(configured)) return vscode.Uri.file(configured);
    if (ws) return vscode.Uri.joinPath(ws.uri, configured);
  }
  if (ws && ws.uri.scheme === 'file') return vscode.Uri.joinPath(ws.uri, 'spright-renders');
  return vscode.Uri.joinPath(globalStorage, 'spright-renders');
}

interface ImageRecord {
  file: string;
  view: ImageView;
}

export class RenderFeature extends Disposable {
  readonly #controller: PreviewController;
  readonly #backend: () => InferenceBackend | undefined;
  readonly #globalStorage: vscode.Uri;
  readonly #renders = new Map<string, AbortController>();
  #detectAbort: AbortController | undefined;
  #imageCounter = 0;
  /** Image key -> file on disk (the webview only knows webview URIs). */
  readonly #files = new Map<string, string>();

  constructor(controller: PreviewController, backend: () => InferenceBackend | undefined, globalStorage: vscode.Uri) {
    super();
    this.#controller = controller;
    this.#backend = backend;
    this.#globalStorage = globalStorage;
    controller.on('rerender', (m) => (m.type === 'rerender' ? this.renderPreview(undefined, undefined, m.useRewrite) : undefined));
    controller.on('cancelRender', (m) => (m.type === 'cancelRender' ? this.cancel(m.requestId) : undefined));
    controller.on('pickImage', () => this.checkImage());
    controller.on('selectModel', async () => {
      await vscode.commands.executeCommand('sprightLens.selectModel');
    });
    controller.on('requestSaveWithOverlays', async (m) => {
      if (m.type !== 'requestSaveWithOverlays') return;
      const result = await this.saveWithOverlays(m.pngDataUrl);
      controller.post(result.ok ? { type: 'saveResult', requestId: m.requestId, ok: true, fileName: path.basename(result.file) } : { type: 'saveResult', requestId: m.requestId, ok: false, message: result.message });
    });
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (config.affects(e, ...config.RELOAD_MODEL_KEYS)) this.#backend()?.releaseSessions();
      }),
    );
    this._register({ dispose: () => this.cancel() });
  }

  /** Output folders the panel may load images from. */
  outputFolders(): vscode.Uri[] {
    const scope = this.#controller.current?.uri;
    const folders = [outputFolder(scope, this.#globalStorage)];
    for (const f of this.#files.values()) folders.push(vscode.Uri.file(path.dirname(f)));
    const seen = new Set<string>();
    return folders.filter((u) => !seen.has(u.toString()) && seen.add(u.toString()));
  }

  /** Cancels one render, or all of them. */
  cancel(requestId?: string): void {
    for (const [id, ac] of this.#renders) if (requestId === undefined || id === requestId) ac.abort();
    if (requestId === undefined) this.#detectAbort?.abort();
  }

  /** Renders the prompt at uri/line (default: the cursor), as written or as its rewrite. */
  async renderPreview(uri?: vscode.Uri, line?: number, useRewrite?: boolean): Promise<void> {
    this.#controller.show(uri, line);
    const cur = this.#controller.current;
    if (!cur) {
      void vscode.window.showInformationMessage('SPRIGHT Lens: put the cursor on a prompt to render it.');
      return;
    }
    const settings = config.renderSettings(cur.uri);
    const rewrite = useRewrite ?? settings.useRewrite;
    const text = rewrite && cur.view.rewrite !== null ? cur.view.rewrite : cur.view.text;
    const requestId = `render-${Date.now().toString(36)}-${randomInt(1e9).toString(36)}`;
    const render = { requestId, promptKey: cur.view.key, phase: 'starting' as const, step: 0, total: settings.steps, useRewrite: rewrite };
    this.#controller.post({ type: 'renderProgress', render });

    const setup = await this.#checkModel(settings.modelPath, cur.uri);
    if (setup !== undefined) {
      this.#controller.post({ type: 'renderError', requestId, message: setup.problem ?? 'No render model is configured: see "Rendering needs a local model" below.', cancelled: false, setup });
      return;
    }
    const backend = this.#backend();
    if (!backend) {
      this.#controller.post({ type: 'renderError', requestId, message: 'The inference worker is not available in this build (dist/worker.js missing).', cancelled: false, setup: null });
      return;
    }
    // One render at a time: a new one supersedes the previous.
    this.cancel();
    const ac = new AbortController();
    this.#renders.set(requestId, ac);
    const seed = settings.seed >= 0 ? settings.seed : randomInt(2 ** 31 - 1);
    try {
      const out = await backend.render(
        { modelPath: settings.modelPath, provider: settings.provider, deviceId: settings.deviceId, memory: settings.memory, threads: settings.threads, prompt: text, negativePrompt: settings.negativePrompt, steps: settings.steps, guidance: settings.guidance, scheduler: settings.scheduler, width: settings.width, height: settings.height, seed },
        ac.signal,
        (phase, step, total) => this.#controller.post({ type: 'renderProgress', render: { ...render, phase, step, total } }),
      );
      this.#controller.post({ type: 'renderProgress', render: { ...render, phase: 'saving', step: settings.steps, total: settings.steps } });
      const folder = outputFolder(cur.uri, this.#globalStorage);
      const file = await writeFileUnique(folder.fsPath, `${fileStem(text)}-${seed}`, '.png', out.png);
      const t = out.timings;
      const breakdown = formatSummary({ loadMs: t.loadMs, textMs: t.textEncoderMs, denoiseMs: t.denoiseMs, steps: settings.steps, vaeMs: t.vaeMs, pngMs: t.pngMs, peakRssBytes: t.peakRssBytes });
      const details: ImageView['details'] = [
        ['seed', String(seed)],
        ['steps', String(settings.steps)],
        ['guidance', String(settings.guidance)],
        ['scheduler', settings.scheduler],
        ['size', `${settings.width}\u00d7${settings.height}`],
        ['provider', out.provider],
        // The load is what a first render (or a memory mode that reloads) adds; the rest on hover.
        ['time', `${formatSeconds(out.ms)}${t.loadMs > 0 ? `, of which loading ${formatSeconds(t.loadMs)}` : ''}; ${formatRate(t.denoiseMs / settings.steps)}`, breakdown],
        ['file', file],
      ];
      const record = this.#imageView(file, settings.width, settings.height, 'render', text, details);
      this.#controller.sendInit();
      this.#controller.post({ type: 'renderResult', requestId, image: record.view });
      void this.#detect(record, cur.entry.parsed);
    } catch (err) {
      const cancelled = ac.signal.aborted;
      this.#controller.post({ type: 'renderError', requestId, message: cancelled ? 'Render cancelled.' : `Render failed: ${err instanceof Error ? err.message : String(err)}`, cancelled, setup: null });
    } finally {
      this.#renders.delete(requestId);
    }
  }

  /** Checks an image (a file dialog when `imageUri` is absent) against the prompt at uri/line. */
  async checkImage(uri?: vscode.Uri, line?: number, imageUri?: vscode.Uri): Promise<void> {
    this.#controller.show(uri, line);
    const cur = this.#controller.current;
    if (!cur) {
      void vscode.window.showInformationMessage('SPRIGHT Lens: put the cursor on a prompt, then check an image against it.');
      return;
    }
    let target = imageUri;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Check against prompt', filters: { 'PNG images': ['png'] } });
      target = picked?.[0];
      if (!target) return;
    }
    let width: number;
    let height: number;
    try {
      const img = decodePng(await fs.readFile(target.fsPath));
      width = img.width;
      height = img.height;
    } catch (err) {
      const why = err instanceof ImageFormatError ? err.message : `cannot read it (${err instanceof Error ? err.message : String(err)})`;
      void vscode.window.showErrorMessage(`SPRIGHT Lens: ${target.fsPath}: ${why}. Pick a PNG image.`);
      return;
    }
    const record = this.#imageView(target.fsPath, width, height, 'file', cur.view.text, [['file', target.fsPath]]);
    this.#controller.sendInit();
    this.#controller.post({ type: 'showImage', image: record.view });
    await this.#detect(record, cur.entry.parsed);
  }

  /** Writes the shown image with its overlays next to it; never overwrites. */
  async saveWithOverlays(pngDataUrl?: string): Promise<{ ok: true; file: string } | { ok: false; message: string }> {
    const image = this.#controller.image;
    const file = image ? this.#files.get(image.key) : undefined;
    if (!image || !file) return { ok: false, message: 'no image is shown' };
    if (image.detection.status !== 'done') return { ok: false, message: 'detection has not finished' };
    try {
      let bytes: Uint8Array;
      const fromWebview = pngDataUrl !== undefined ? decodePngDataUrl(pngDataUrl) : undefined;
      if (fromWebview !== undefined) {
        // Check it decodes before writing it; a broken canvas export must not land on disk.
        decodePng(fromWebview);
        bytes = fromWebview;
      } else {
        const src = decodePng(await fs.readFile(file));
        const ids = this.#controller.current?.view.objects.map((o) => o.id) ?? [];
        const view = this.#controller.viewOptions;
        bytes = encodePng(drawOverlays(src, view.showBoxes ? image.detection.detections : [], ids, view.showLabels), { Description: `SPRIGHT Lens overlays: ${image.promptText}` });
      }
      const ext = path.extname(file);
      const written = await writeFileUnique(path.dirname(file), `${path.basename(file, ext)}-overlay`, '.png', bytes);
      return { ok: true, file: written };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  async #checkModel(modelPath: string, scope: vscode.Uri): Promise<ModelSetupView | undefined> {
    const setup = modelSetup(scope);
    if (!setup.configured) return setup;
    try {
      const st = await fs.stat(modelPath);
      if (!st.isDirectory()) return { ...setup, problem: `${modelPath} is not a folder. Point sprightLens.render.modelPath at the folder optimum-cli exported (it holds model_index.json).` };
      await fs.access(path.join(modelPath, 'model_index.json'));
      return undefined;
    } catch {
      return { ...setup, problem: `${modelPath} does not hold an exported model (model_index.json is missing). Export it with optimum-cli (below) or select another folder.` };
    }
  }

  #imageView(file: string, width: number, height: number, origin: ImageView['origin'], promptText: string, details: ImageView['details']): ImageRecord {
    const key = `img-${++this.#imageCounter}`;
    this.#files.set(key, file);
    const uri = vscode.Uri.file(file);
    // The resource roots must include the folder before the webview can load the image.
    this.#controller.panel?.setOutputFolders(this.outputFolders());
    const src = this.#controller.panel?.webview.asWebviewUri(uri).toString() ?? '';
    const detection: DetectionState = { status: 'pending' };
    return { file, view: { key, src, fileName: path.basename(file), fileUri: uri.toString(), width, height, origin, promptText, details, detection } };
  }

  async #detect(record: ImageRecord, parsed: ParsedPrompt): Promise<void> {
    const backend = this.#backend();
    const scope = this.#controller.current?.uri;
    if (!backend) {
      this.#controller.post({ type: 'detections', imageKey: record.view.key, detection: { status: 'error', message: 'the inference worker is not available in this build' } });
      return;
    }
    this.#detectAbort?.abort();
    const ac = new AbortController();
    this.#detectAbort = ac;
    const ds = config.detectSettings(scope);
    try {
      const out = await backend.detect({ imagePath: record.file, labels: parsed.objects.map((o) => o.noun), detector: ds.detector, owlvitPath: ds.owlvitPath }, ac.signal);
      const labelFor = (noun: string): string | null => mapToDetectorLabel(noun, out.vocabulary);
      const evaluation = evaluateImage(promptFromParsed('panel', parsed), out.detections, { labelFor });
      const detection = detectionView({ parsed, detector: out.detector, detections: out.detections, evaluation, labelFor, rule: config.evaluationRule(scope) });
      this.#controller.post({ type: 'detections', imageKey: record.view.key, detection });
    } catch (err) {
      if (ac.signal.aborted) return;
      this.#controller.post({ type: 'detections', imageKey: record.view.key, detection: { status: 'error', message: err instanceof Error ? err.message : String(err) } });
    }
  }
}
