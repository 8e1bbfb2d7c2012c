// Best-of-N in the preview panel: renders the candidates one after another through the inference
// service, detects and judges each through the evaluation core (the same choice as the CLI and
// batches make), keeps the panel's image on the best so far, and lets the user show any other
// candidate from the strip (or the command palette). The strip's records are computed here; the
// webview only draws them.
import * as vscode from 'vscode';
import type { AnalyzedLine } from '../../parser';
import type { CandidateStripView, DetectionState, ImageView, RuleName } from '../../protocol/messages';
import { detectorName, type DetectorSpec } from '../../protocol/service';
import { candidateSeeds, judgeCandidate, labelMapperFor, promptFromParsed, runBestOf } from '../../evaluate/index';
import type { InferenceService } from '../../service';
import { candidateSummary, judgedCandidate, pendingCandidate } from '../../view/candidateView';
import { detectionView } from '../../view/panelView';
import type { PanelHost } from '../panelHost';

/** What one best-of run needs from the render feature. */
export interface BestOfRequest {
  /** The render's requestId: the strip's identity. */
  setId: string;
  promptKey: string;
  /** The prompt's analysis: candidates are judged against the prompt as written. */
  entry: AnalyzedLine;
  n: number;
  untilSatisfied: boolean;
  rule: RuleName;
  detector: DetectorSpec;
  /** First seed; candidate j renders seed + j. */
  seed: number;
  signal: AbortSignal;
  /** Renders one candidate and returns its image (detection pending). */
  render(seed: number, index: number): Promise<ImageView>;
}

interface Run {
  strip: CandidateStripView;
  images: Map<number, ImageView>;
  /** The candidate the user picked, which the choice no longer replaces. */
  picked: number | null;
}

export class BestOfPreview {
  readonly #panel: PanelHost;
  readonly #service: InferenceService;
  #run: Run | undefined;

  constructor(panel: PanelHost, service: InferenceService) {
    this.#panel = panel;
    this.#service = service;
  }

  /** The strip of the last best-of run, if any. */
  get strip(): CandidateStripView | null {
    return this.#run?.strip ?? null;
  }

  /** Hides the strip (a plain render of the prompt replaces what it showed). */
  clear(): void {
    if (this.#run === undefined) return;
    this.#run = undefined;
    this.#panel.post({ type: 'candidates', strip: null });
  }

  /**
   * Renders, judges and chooses; resolves to the image shown at the end (the chosen candidate,
   * or the one the user picked meanwhile). Rejects when a render or detection fails or the signal
   * stops it, with the strip marked accordingly.
   */
  async run(req: BestOfRequest): Promise<ImageView> {
    const run: Run = {
      strip: { setId: req.setId, promptKey: req.promptKey, n: req.n, untilSatisfied: req.untilSatisfied, rule: req.rule, detector: detectorName(req.detector), state: 'running', candidates: [], chosen: null, shown: null },
      images: new Map(),
      picked: null,
    };
    this.#run = run;
    const post = (): void => {
      // A newer run owns the strip; this one's late updates are dropped here, not in the webview.
      if (this.#run === run) this.#panel.post({ type: 'candidates', strip: { ...run.strip, candidates: [...run.strip.candidates] } });
    };
    post();
    const parsed = req.entry.parsed;
    const prompt = promptFromParsed('panel', parsed);
    const labels = [...new Set(parsed.objects.map((o) => o.noun))];
    const name = detectorName(req.detector);
    try {
      const outcome = await runBestOf(
        { n: req.n, untilSatisfied: req.untilSatisfied, rule: req.rule },
        candidateSeeds(req.seed, req.n),
        async (index, seed) => {
          run.strip.candidates[index] = pendingCandidate(index, seed);
          post();
          const image = await req.render(seed, index);
          run.strip.candidates[index] = { ...run.strip.candidates[index]!, state: 'detecting', src: image.src, fileName: image.fileName };
          post();
          const found = await this.#service.call('detect', { imagePath: vscode.Uri.parse(image.fileUri).fsPath, labels, detector: req.detector }, { signal: req.signal });
          const { evaluation, score } = judgeCandidate({ promptId: prompt.id, prompt, detections: found.detections, detector: name }, req.rule);
          const detection: DetectionState = detectionView({ parsed, detector: found.detector, detections: found.detections, evaluation, labelFor: labelMapperFor(name), rule: req.rule });
          run.images.set(index, { ...image, detection });
          if (detection.status === 'done') run.strip.detector = found.detector;
          run.strip.candidates[index] = judgedCandidate(run.strip.candidates[index]!, score);
          return { score, value: index };
        },
        {
          signal: req.signal,
          onCandidate: (_c, choice) => {
            const before = run.strip.chosen;
            run.strip.chosen = choice.chosen;
            // The panel follows the best so far until the user picks one.
            if (run.picked === null && choice.chosen !== null && choice.chosen !== before) this.#show(run, choice.chosen);
            post();
          },
        },
      );
      if (!outcome.complete) throw new Error('stopped');
      run.strip.state = 'done';
      post();
      return run.images.get(run.strip.shown ?? outcome.chosen!)!;
    } catch (err) {
      run.strip.state = req.signal.aborted ? 'cancelled' : 'failed';
      const message = req.signal.aborted ? 'cancelled' : err instanceof Error ? err.message : String(err);
      run.strip.candidates = run.strip.candidates.map((c) => (c.state === 'rendering' || c.state === 'detecting' ? { ...c, state: 'error', message } : c));
      post();
      throw err;
    }
  }

  /**
   * Shows candidate `index` of strip `setId` (the current one when omitted) as the panel's image;
   * without an index, asks which one with a quick pick. Resolves to the candidate shown, or
   * undefined when there is none to show.
   */
  async pick(index?: number, setId?: string): Promise<number | undefined> {
    const run = this.#run;
    if (!run || (setId !== undefined && setId !== run.strip.setId)) return undefined;
    let target = index;
    if (target === undefined) {
      const items = run.strip.candidates
        .filter((c) => run.images.has(c.index))
        .map((c) => ({ label: `${c.index === run.strip.chosen ? '$(star-full) ' : ''}Candidate ${c.index + 1}`, description: candidateSummary(c), index: c.index }));
      if (items.length === 0) {
        void vscode.window.showInformationMessage('SPRIGHT Lens: no best-of candidates to show; set sprightLens.render.bestOf above 1 and render a preview.');
        return undefined;
      }
      target = (await vscode.window.showQuickPick(items, { title: `Best of ${run.strip.n}: show a candidate` }))?.index;
      if (target === undefined) return undefined;
    }
    if (!run.images.has(target)) return undefined;
    run.picked = target;
    this.#show(run, target);
    if (this.#run === run) this.#panel.post({ type: 'candidates', strip: { ...run.strip, candidates: [...run.strip.candidates] } });
    return target;
  }

  #show(run: Run, index: number): void {
    run.strip.shown = index;
    if (this.#run === run) this.#panel.post({ type: 'showImage', image: run.images.get(index)! });
  }
}
