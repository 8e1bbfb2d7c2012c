/**
 * Replays a transcript recorded from a real ComfyUI (test/live/recordComfyui.ts) as a
 * `ComfyTransport`: the client's requests must come in the recorded order and get the recorded
 * answers; socket frames are released in order, each only after every request recorded before
 * it was made. Transcripts can be edited (frames inserted, answers changed) to produce orderings
 * the live server rarely shows.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import {
  ComfyError,
  relativePath,
  TransportError,
  type ComfySocket,
  type ComfyTransport,
  type HttpReply,
  type SocketListener,
  type TranscriptEvent,
} from '../../../src/render/comfyui';
import type { TranscriptMeta } from '../../live/recordComfyui';
import { fixture } from './paths';

/** A transcript: what was asked and every event, in order. */
export interface Transcript {
  readonly meta: TranscriptMeta;
  readonly events: TranscriptEvent[];
}

/** Reads test/fixtures/comfyui/NAME.jsonl.gz. */
export function loadTranscript(name: string): Transcript {
  const lines = zlib
    .gunzipSync(fs.readFileSync(fixture('comfyui', `${name}.jsonl.gz`)))
    .toString('utf8')
    .trim()
    .split('\n');
  const { meta } = JSON.parse(lines[0]!) as { meta: TranscriptMeta };
  return { meta, events: lines.slice(1).map((l) => JSON.parse(l) as TranscriptEvent) };
}

/** The recorded prompt id (from the answer to POST /prompt). */
export function promptIdOf(t: Transcript): string {
  const post = t.events.find((e) => e.ev === 'http' && e.path === 'prompt');
  if (!post || post.ev !== 'http' || !post.text) throw new Error(`${t.meta.scenario}: no POST /prompt answer`);
  return (JSON.parse(post.text) as { prompt_id: string }).prompt_id;
}

/** Index of the first event matching `pred` (throws when there is none). */
export function indexOf(t: Transcript, pred: (e: TranscriptEvent) => boolean): number {
  const i = t.events.findIndex(pred);
  if (i < 0) throw new Error(`${t.meta.scenario}: no such event`);
  return i;
}

/** True for a text frame of the given ComfyUI message type (and data fields). */
export function isFrame(e: TranscriptEvent, type: string, fields: Record<string, unknown> = {}): boolean {
  if (e.ev !== 'ws' || e.text === undefined) return false;
  const msg = JSON.parse(e.text) as { type: string; data: Record<string, unknown> };
  return msg.type === type && Object.entries(fields).every(([k, v]) => isDeepStrictEqual(msg.data[k], v));
}

/** A text frame event. */
export function frame(type: string, data: Record<string, unknown>): TranscriptEvent {
  return { ev: 'ws', text: JSON.stringify({ type, data }) };
}

/** What the client did, for assertions. */
export interface ReplayRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

interface Waiter {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  resolve(r: HttpReply | ComfySocket): void;
  reject(e: Error): void;
}

/** A `ComfyTransport` that plays back one transcript. */
export class ReplayTransport implements ComfyTransport {
  /** Requests in the order the client made them (socket opens as `WS path`). */
  readonly requests: ReplayRequest[] = [];
  /** Every way the client left the recorded script. Empty after a faithful replay. */
  readonly mismatches: string[] = [];
  /** `GET /history` requests made before `executing {node: null}` was delivered. */
  earlyHistoryReads = 0;
  /** Whether `executing {node: null}` (the server letting go of the prompt) was delivered. */
  get endDelivered(): boolean {
    return this.#finished;
  }
  /** The sockets the client closed, numbered from 1 in the order it opened them. */
  readonly closedSockets: number[] = [];
  #sockets = 0;
  #i = 0;
  #listener: SocketListener | undefined;
  #open = false;
  #finished = false;
  #waiting: Waiter | undefined;
  #pumping = false;

  constructor(
    private readonly events: readonly TranscriptEvent[],
    private readonly base: URL,
  ) {}

  http(method: 'GET' | 'POST', url: URL, body: unknown): Promise<HttpReply> {
    const path = relativePath(this.base, url);
    this.requests.push({ method, path, ...(body === undefined ? {} : { body }) });
    // The pitfall the recipe describes: a history read between execution_success and
    // executing {node: null} got `{}`. A client that reads early gets exactly that.
    if (method === 'GET' && path.startsWith('history/') && !this.#finished) {
      this.earlyHistoryReads++;
      return Promise.resolve({ status: 200, contentType: 'application/json', body: Buffer.from('{}') });
    }
    return new Promise<HttpReply>((resolve, reject) => {
      this.#wait({ method, path, body, resolve: resolve as (r: HttpReply | ComfySocket) => void, reject });
    });
  }

  socket(url: URL, listener: SocketListener): Promise<ComfySocket> {
    this.requests.push({ method: 'WS', path: relativePath(this.base, url).split('?')[0]! });
    return new Promise<ComfySocket>((resolve, reject) => {
      this.#wait({
        method: 'WS',
        path: '',
        resolve: (s) => {
          this.#listener = listener;
          this.#open = true;
          resolve(s as ComfySocket);
        },
        reject,
      });
    });
  }

  #wait(w: Waiter): void {
    if (this.#waiting) {
      this.mismatches.push(
        `two requests at once: ${this.#waiting.method} ${this.#waiting.path} and ${w.method} ${w.path}`,
      );
      w.reject(new TransportError('MISMATCH', 'concurrent request'));
      return;
    }
    this.#waiting = w;
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    setImmediate(() => {
      this.#pumping = false;
      this.#step();
    });
  }

  #step(): void {
    const ev = this.events[this.#i];
    if (!ev) {
      if (this.#waiting) {
        const w = this.#waiting;
        this.#waiting = undefined;
        this.mismatches.push(`transcript ended; the client asked ${w.method} ${w.path}`);
        w.reject(new TransportError('ECONNREFUSED', 'transcript ended'));
      }
      return;
    }
    if (ev.ev === 'ws' || ev.ev === 'ws-close') {
      this.#i++;
      if (this.#open && this.#listener) {
        if (ev.ev === 'ws-close') {
          this.#open = false;
          this.#listener.close(ev.code, ev.reason ?? '');
        } else {
          if (ev.text !== undefined && /"type": ?"executing"/.test(ev.text) && /"node": ?null/.test(ev.text))
            this.#finished = true;
          this.#listener.message(ev.text ?? Buffer.from(ev.base64 ?? '', 'base64'));
        }
      }
      this.#pump();
      return;
    }
    const w = this.#waiting;
    if (!w) return; // The next step is the client's: wait for its request.
    this.#waiting = undefined;
    this.#i++;
    if (ev.ev === 'ws-open') {
      if (w.method !== 'WS') return this.#mismatch(w, 'the WebSocket open');
      if (ev.error) w.reject(new TransportError(ev.error, `recorded ${ev.error}`));
      else {
        const n = ++this.#sockets;
        w.resolve({
          close: () => {
            this.closedSockets.push(n);
            if (n === this.#sockets) this.#open = false;
          },
        });
      }
    } else {
      const expected = `${ev.method} ${ev.path}`;
      if (`${w.method} ${w.path}` !== expected) return this.#mismatch(w, expected);
      if (!sameBody(ev.body, w.body)) this.mismatches.push(`${expected}: body differs from the recording`);
      if (ev.error) w.reject(new TransportError(ev.error, `recorded ${ev.error}`));
      else {
        const body = ev.text !== undefined ? Buffer.from(ev.text, 'utf8') : Buffer.from(ev.base64 ?? '', 'base64');
        w.resolve({ status: ev.status ?? 200, contentType: ev.contentType ?? '', body });
      }
    }
    this.#pump();
  }

  #mismatch(w: Waiter, expected: string): void {
    this.mismatches.push(`the client asked ${w.method} ${w.path} where the recording has ${expected}`);
    w.reject(new TransportError('MISMATCH', 'out of script'));
  }
}

function sameBody(recorded: unknown, sent: unknown): boolean {
  // The WebSocket client id is random per render; everything else must match.
  const strip = (b: unknown): unknown =>
    b && typeof b === 'object' && 'client_id' in b ? { ...(b as object), client_id: undefined } : b;
  return isDeepStrictEqual(strip(recorded), strip(sent));
}

/**
 * For `assert.rejects`: a ComfyError of `kind` whose message matches `re` and is one line (no
 * CR or LF, whatever the server sent).
 */
export function isComfyError(kind: string, re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ComfyError, `expected ComfyError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /[\r\n]/);
    return true;
  };
}
