// Render preview, check image, save with overlays: the panel features that use the inference
// service. The service renders and writes the PNG itself (never over a different render) and
// detects on the file it wrote, so no image bytes pass through the extension host; each request
// has a requestId and an AbortController.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { randomInt } from 'node:crypto';
import type { DetectionState, ImageView, RenderView } from '../../protocol/messages';
import type { AnalyzedLine } from '../../parser';
import { decodePng, encodePng, ImageFormatError } from '../../image/index';
import { drawOverlays } from '../../image/overlay';
import { writeFileUnique } from '../../io/atomic';
import { outputStem } from '../../io/outputNames';
import { evaluateImage, mapToDetectorLabel, promptFromParsed } from '../../evaluate/index';
import type { DetectorSpec } from '../../protocol/service';
import type { InferenceService } from '../../service';
import { regionGuideFromLayout } from '../../generator/regions';
import type { RegionGuide } from '../../protocol/regions';
import { detectionView } from '../../view/panelView';
import { decodePngDataUrl } from '../../view/messageGuard';
import type { Config } from '../config';
import { checkModel, renderTarget } from '../model';
import type { CurrentPrompt, PanelHost } from '../panelHost';
import { Disposable } from '../util/dispose';
import { BestOfPreview } from './bestOfPreview';

interface ImageRecord {
  file: string;
  view: ImageView;
}

export class RenderFeature extends Disposable {
  readonly #panel: PanelHost;
  readonly #service: InferenceService;
  readonly #config: Config;
  readonly #renders = new Map<string, AbortController>();
  #detectAbort: AbortController | undefined;
  #imageCounter = 0;
  /** Image key -> file on disk (the webview only knows webview URIs). */
  readonly #files = new Map<string, string>();
  /** Best-of renders and their candidate strip. */
  readonly #bestOf: BestOfPreview;

  constructor(panel: PanelHost, service: InferenceService, config: Config) {
    super();
    this.#panel = panel;
    this.#service = service;
    this.#config = config;
    this.#bestOf = new BestOfPreview(panel, service);
    panel.on('pickCandidate', async (m) => {
      if (m.type === 'pickCandidate') await this.#bestOf.pick(m.index, m.setId);
    });
    panel.on('rerender', (m) => (m.type === 'rerender' ? this.renderPreview(undefined, undefined, m.useRewrite) : undefined));
    panel.on('cancelRender', (m) => (m.type === 'cancelRender' ? this.cancel(m.requestId) : undefined));
    panel.on('renderWithLayout', () => this.renderPreview(undefined, undefined, undefined, { guide: true }));
    panel.on('setRegionGuide', (m) => (m.type === 'setRegionGuide' ? config.setRenderGuide(m.value ? 'layout' : 'off', panel.current?.uri) : undefined));
    panel.on('pickImage', () => this.checkImage());
    panel.on('selectModel', async () => {
      await vscode.commands.executeCommand('sprightLens.selectModel');
    });
    panel.on('requestSaveWithOverlays', async (m) => {
      if (m.type !== 'requestSaveWithOverlays') return;
      const result = await this.saveWithOverlays(m.pngDataUrl);
      panel.post(result.ok ? { type: 'saveResult', requestId: m.requestId, ok: true, fileName: path.basename(result.file) } : { type: 'saveResult', requestId: m.requestId, ok: false, message: result.message });
    });
    this._register({ dispose: () => this.cancel() });
  }

  /** Output folders the panel may load images from. */
  outputFolders(): vscode.Uri[] {
    const scope = this.#panel.current?.uri;
    const folders = [this.#config.renderOutputFolder(scope)];
    for (const f of this.#files.values()) folders.push(vscode.Uri.file(path.dirname(f)));
    const seen = new Set<string>();
    return folders.filter((u) => !seen.has(u.toString()) && seen.add(u.toString()));
  }

  /** Cancels one render, or all of them. */
  cancel(requestId?: string): void {
    for (const [id, ac] of this.#renders) if (requestId === undefined || id === requestId) ac.abort();
    if (requestId === undefined) this.#detectAbort?.abort();
  }

  /**
   * Renders the prompt at uri/line (default: the cursor), as written or as its rewrite; `guide`
   * (default: the `render.guide` setting) steers it with the layout the panel shows.
   */
  async renderPreview(uri?: vscode.Uri, line?: number, useRewrite?: boolean, options: { guide?: boolean } = {}): Promise<void> {
    this.#panel.show(uri, line);
    const cur = this.#panel.current;
    if (!cur) {
      void vscode.window.showInformationMessage('SPRIGHT Lens: put the cursor on a prompt to render it.');
      return;
    }
    const settings = this.#config.render(cur.uri);
    const rewrite = useRewrite ?? settings.useRewrite;
    const text = rewrite && cur.view.rewrite !== null ? cur.view.rewrite : cur.view.text;
    const requestId = `render-${Date.now().toString(36)}-${randomInt(1e9).toString(36)}`;
    const render = { requestId, promptKey: cur.view.key, phase: 'starting' as const, step: 0, total: settings.steps, useRewrite: rewrite };
    this.#panel.post({ type: 'renderProgress', render });

    const guided = options.guide ?? settings.guide === 'layout';
    const guide = guided ? this.#regionGuide(cur, text) : undefined;
    if (typeof guide === 'string') {
      this.#panel.post({ type: 'renderError', requestId, message: guide, cancelled: false, setup: null });
      return;
    }

    const { setup, model } = await checkModel(this.#config, this.#service, cur.uri);
    if (model === null) {
      this.#panel.post({ type: 'renderError', requestId, message: setup.problem ?? 'No render model is configured: see "Rendering needs a local model" below.', cancelled: false, setup });
      return;
    }
    // One render at a time: a new one supersedes the previous.
    this.cancel();
    const ac = new AbortController();
    this.#renders.set(requestId, ac);
    const seed = settings.seed >= 0 ? settings.seed : randomInt(2 ** 31 - 1);
    // One render of `seedNow` into the output folder, its progress shown as `progress` says.
    const renderSeed = async (seedNow: number, progress: RenderView): Promise<ImageRecord> => {
      const out = await this.#service.call(
        'render',
        {
          ...renderTarget(settings, model.dir),
          provider: settings.provider,
          deviceId: settings.deviceId,
          prompt: text,
          negativePrompt: settings.negativePrompt,
          steps: settings.steps,
          guidanceScale: settings.guidance,
          seed: seedNow,
          width: settings.width,
          height: settings.height,
          scheduler: settings.scheduler,
          regions: guide,
          output: { dir: this.#config.renderOutputFolder(cur.uri).fsPath, stem: outputStem(text) },
        },
        { signal: ac.signal, onProgress: (p) => this.#panel.post({ type: 'renderProgress', render: { ...progress, phase: p.phase, step: p.step, total: p.total } }) },
      );
      const file = out.files[0]!.path;
      const details: Array<[string, string]> = [
        ['seed', String(seedNow)],
        ['steps', String(settings.steps)],
        ['guidance', String(settings.guidance)],
        ['scheduler', out.scheduler],
        ['size', `${out.width}\u00d7${out.height}`],
        ['provider', out.provider],
        ['time', `${(out.timings.totalMs / 1000).toFixed(1)} s`],
        ['file', file],
      ];
      if (guide) details.splice(5, 0, ['guide', `${cur.view.layoutEdit?.source === 'edited' ? 'your layout' : 'planned layout'}, ${guide.regions.length} region${guide.regions.length === 1 ? '' : 's'}`]);
      return this.#imageView(file, out.width, out.height, 'render', text, details);
    };
    try {
      if (settings.bestOf > 1) {
        const image = await this.#bestOf.run({
          setId: requestId,
          promptKey: cur.view.key,
          entry: cur.entry,
          n: settings.bestOf,
          untilSatisfied: settings.untilSatisfied,
          rule: this.#config.evaluationRule(cur.uri),
          detector: this.#detector(cur.uri),
          seed,
          signal: ac.signal,
          render: async (seedNow, index) => (await renderSeed(seedNow, { ...render, candidate: index, candidates: settings.bestOf })).view,
        });
        this.#panel.sendInit();
        this.#panel.post({ type: 'renderResult', requestId, image });
        return;
      }
      this.#bestOf.clear();
      const record = await renderSeed(seed, render);
      this.#panel.sendInit();
      this.#panel.post({ type: 'renderResult', requestId, image: record.view });
      void this.#detect(record, cur.entry);
    } catch (err) {
      const cancelled = ac.signal.aborted;
      this.#panel.post({ type: 'renderError', requestId, message: cancelled ? 'Render cancelled.' : `Render failed: ${err instanceof Error ? err.message : String(err)}`, cancelled, setup: null });
    } finally {
      this.#renders.delete(requestId);
    }
  }

  /** Shows another best-of candidate (a quick pick without `index`); resolves to the one shown. */
  pickCandidate(index?: number): Promise<number | undefined> {
    return this.#bestOf.pick(index);
  }

  /** The detector the settings name; an OWL-ViT without its folder is one clear error. */
  #detector(scope: vscode.Uri | undefined): DetectorSpec {
    const ds = this.#config.detect(scope);
    if (ds.detector === 'owlvit' && ds.owlvitPath.trim() === '') {
      throw new Error('sprightLens.detect.detector is "owlvit" but sprightLens.detect.owlvitPath is empty: set it to the folder optimum-cli exported, or use the embedded detector.');
    }
    return ds.detector === 'owlvit' ? { kind: 'owlvit', modelDir: ds.owlvitPath } : { kind: 'embedded' };
  }

  /**
   * The region guide from the layout the panel shows for `cur` (as drawn, or planned), with `text`
   * (the prompt or its rewrite) as the background's fallback; a message when there is no layout.
   */
  #regionGuide(cur: CurrentPrompt, text: string): RegionGuide | string {
    const layout = cur.view.layout;
    if (layout === null) return `No layout to guide the render with: ${cur.view.layoutError ?? 'the prompt has no objects to place'}`;
    return regionGuideFromLayout({ ...cur.entry.parsed, text }, layout);
  }

  /** Checks an image (a file dialog when `imageUri` is absent) against the prompt at uri/line. */
  async checkImage(uri?: vscode.Uri, line?: number, imageUri?: vscode.Uri): Promise<void> {
    this.#panel.show(uri, line);
    const cur = this.#panel.current;
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
    this.#panel.sendInit();
    this.#panel.post({ type: 'showImage', image: record.view });
    await this.#detect(record, cur.entry);
  }

  /** Writes the shown image with its overlays next to it; never overwrites. */
  async saveWithOverlays(pngDataUrl?: string): Promise<{ ok: true; file: string } | { ok: false; message: string }> {
    const image = this.#panel.image;
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
        const ids = this.#panel.current?.view.objects.map((o) => o.id) ?? [];
        const view = this.#panel.viewOptions;
        bytes = encodePng(drawOverlays(src, view.showBoxes ? image.detection.detections : [], ids, view.showLabels), { Description: `SPRIGHT Lens overlays: ${image.promptText}` });
      }
      const ext = path.extname(file);
      const written = await writeFileUnique(path.dirname(file), `${path.basename(file, ext)}-overlay`, '.png', bytes);
      return { ok: true, file: written };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  #imageView(file: string, width: number, height: number, origin: ImageView['origin'], promptText: string, details: Array<[string, string]>): ImageRecord {
    const key = `img-${++this.#imageCounter}`;
    this.#files.set(key, file);
    const uri = vscode.Uri.file(file);
    const src = this.#panel.webviewUri(file) ?? '';
    const detection: DetectionState = { status: 'pending' };
    return { file, view: { key, src, fileName: path.basename(file), fileUri: uri.toString(), width, height, origin, promptText, details, detection } };
  }

  async #detect(record: ImageRecord, entry: AnalyzedLine): Promise<void> {
    const parsed = entry.parsed;
    const scope = this.#panel.current?.uri;
    this.#detectAbort?.abort();
    const ac = new AbortController();
    this.#detectAbort = ac;
    const ds = this.#config.detect(scope);
    try {
      if (ds.detector === 'owlvit' && ds.owlvitPath.trim() === '') {
        throw new Error('sprightLens.detect.detector is "owlvit" but sprightLens.detect.owlvitPath is empty: set it to the folder optimum-cli exported, or use the embedded detector.');
      }
      const detector = ds.detector === 'owlvit' ? { kind: 'owlvit' as const, modelDir: ds.owlvitPath } : { kind: 'embedded' as const };
      const out = await this.#service.call('detect', { imagePath: record.file, labels: parsed.objects.map((o) => o.noun), detector }, { signal: ac.signal });
      const labelFor = (noun: string): string | null => mapToDetectorLabel(noun, out.vocabulary);
      const evaluation = evaluateImage(promptFromParsed('panel', parsed), out.detections, { labelFor });
      const detection = detectionView({ parsed, detector: out.detector, detections: out.detections, evaluation, labelFor, rule: this.#config.evaluationRule(scope) });
      this.#panel.post({ type: 'detections', imageKey: record.view.key, detection });
    } catch (err) {
      if (ac.signal.aborted) return;
      this.#panel.post({ type: 'detections', imageKey: record.view.key, detection: { status: 'error', message: err instanceof Error ? err.message : String(err) } });
    }
  }
}
