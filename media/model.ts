/**
 * The webview's state machine: applies host messages to the current panel state, dropping the
 * ones that are stale (a progress event of a finished render, detections for an image no longer
 * shown, an answer to a save nobody waits for). Pure: no DOM, no `acquireVsCodeApi`.
 */
import type { PanelState, PersistedWebviewState, ToWebview } from '../src/protocol/messages';

/** What the webview holds: the host's state plus purely local bits. */
export interface WebviewModel {
  state: PanelState | null;
  /** requestId of the save we are waiting for. */
  pendingSave: string | null;
  /** Result line of the last save ("Saved cat-overlay.png" / the error). */
  saveStatus: string | null;
  /** Render requests that already ended; their late progress events are ignored. */
  finishedRenders: string[];
  /** The newest layout edit answer applied (`layoutUpdate.seq`); older answers are stale. */
  layoutSeq: number;
}

export function initialModel(): WebviewModel {
  return { state: null, pendingSave: null, saveStatus: null, finishedRenders: [], layoutSeq: 0 };
}

// Enough to outlive any progress event still in flight; older ids cannot come back.
const FINISHED_MEMORY = 32;

function finish(model: WebviewModel, requestId: string): string[] {
  return [...model.finishedRenders.filter((id) => id !== requestId), requestId].slice(-FINISHED_MEMORY);
}

/**
 * Applies `msg` to `model`. Returns the new model, or undefined when the message is dropped
 * (stale or before `init`) so the caller can skip redrawing.
 */
export function reduce(model: WebviewModel, msg: ToWebview): WebviewModel | undefined {
  if (msg.type === 'init') return { ...model, state: msg.state };
  const state = model.state;
  // Nothing but `init` makes sense before the first state arrives.
  if (state === null) return undefined;
  switch (msg.type) {
    case 'update':
      return { ...model, state: { ...state, prompt: msg.prompt, image: msg.image, notice: msg.notice }, saveStatus: null };
    case 'renderProgress': {
      const r = msg.render;
      if (model.finishedRenders.includes(r.requestId)) return undefined;
      const current = state.render;
      // A new render replaces the current one only when it starts; a step of another render is stale.
      if (current !== null && current.requestId !== r.requestId && r.phase !== 'starting') return undefined;
      if (current !== null && current.requestId === r.requestId && current.phase === 'denoising' && r.phase === 'denoising' && r.step < current.step && r.candidate === current.candidate) {
        return undefined;
      }
      return { ...model, state: { ...state, render: r, notice: null } };
    }
    case 'renderResult':
      if (state.render?.requestId !== msg.requestId) return undefined;
      return { ...model, state: { ...state, render: null, image: msg.image, notice: null }, finishedRenders: finish(model, msg.requestId), saveStatus: null };
    case 'renderError':
      if (state.render?.requestId !== msg.requestId) return undefined;
      return {
        ...model,
        state: { ...state, render: null, setup: msg.setup ?? state.setup, notice: msg.cancelled ? 'Render cancelled.' : msg.message },
        finishedRenders: finish(model, msg.requestId),
      };
    case 'showImage':
      return { ...model, state: { ...state, image: msg.image, notice: null }, saveStatus: null };
    case 'detections':
      if (state.image?.key !== msg.imageKey) return undefined;
      return { ...model, state: { ...state, image: { ...state.image, detection: msg.detection } } };
    case 'batchPage': {
      const current = state.batch;
      // A running batch owns the grid; an unrelated run id while it runs is stale.
      if (current !== null && current.runId !== msg.batch.runId && current.state === 'running') return undefined;
      return { ...model, state: { ...state, batch: msg.batch } };
    }
    case 'saveResult':
      if (model.pendingSave !== msg.requestId) return undefined;
      return { ...model, pendingSave: null, saveStatus: msg.ok ? `Saved ${msg.fileName}` : `Could not save: ${msg.message}` };
    case 'candidates': {
      // A running best-of owns the strip: an update of another run while it runs is stale.
      const current = state.candidates ?? null;
      if (msg.strip !== null && current !== null && current.setId !== msg.strip.setId && current.state === 'running' && msg.strip.state !== 'running') return undefined;
      return { ...model, state: { ...state, candidates: msg.strip } };
    }
    case 'layoutUpdate':
      // An answer about another prompt, or older than one applied, would undo a newer edit.
      if (state.prompt?.key !== msg.promptKey || msg.seq < model.layoutSeq) return undefined;
      return { ...model, state: { ...state, prompt: msg.prompt }, layoutSeq: msg.seq };
  }
}

/** The part of the model worth keeping across reloads (getState/setState). */
export function persistable(model: WebviewModel): PersistedWebviewState | undefined {
  const s = model.state;
  if (s === null) return undefined;
  return {
    version: 1,
    view: s.view,
    promptUri: s.prompt?.uri ?? null,
    promptLine: s.prompt?.line ?? null,
    imageUri: s.image?.fileUri ?? null,
    batchRunId: s.batch?.runId ?? null,
    batchPage: s.batch?.page ?? 0,
  };
}
