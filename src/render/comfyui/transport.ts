/**
 * The two channels the client talks to ComfyUI over, behind one small interface: HTTP requests
 * and the WebSocket of one render. `nodeTransport` is the real one (fetch and the `ws` package);
 * tests replay recorded transcripts through the same interface, and `recordingTransport` makes
 * those transcripts from a real server.
 */
import WebSocket from 'ws';

/** An HTTP answer, body unread as text (PNG bytes from `/view`). */
export interface HttpReply {
  readonly status: number;
  /** The Content-Type header, lower-cased, without parameters ('' when absent). */
  readonly contentType: string;
  readonly body: Buffer;
}

/** Receives one socket's frames, in order. */
export interface SocketListener {
  /** A text frame (JSON in ComfyUI) or a binary one (previews). */
  message(data: string | Buffer): void;
  /** The socket closed (not called after our own `close()`). */
  close(code: number, reason: string): void;
}

/** An open WebSocket. */
export interface ComfySocket {
  /** Closes it; the listener hears nothing more. */
  close(): void;
}

/**
 * A network failure below HTTP: `code` is the system error (ECONNREFUSED, ENOTFOUND,
 * ECONNRESET...) or `TIMEOUT`.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP and WebSocket access to one server. URLs are absolute. */
export interface ComfyTransport {
  /** One request; `body` is sent as JSON. Rejects with TransportError when there is no answer. */
  http(method: 'GET' | 'POST', url: URL, body: unknown, signal: AbortSignal): Promise<HttpReply>;
  /** Opens a socket; resolves once it is open. Rejects with TransportError when it cannot. */
  socket(url: URL, listener: SocketListener, signal: AbortSignal): Promise<ComfySocket>;
}

function systemCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError') return 'TIMEOUT';
    if (name === 'AbortError') return 'ABORT';
  }
  return 'ERROR';
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

/**
 * The real transport: global fetch (redirects refused, so that a loopback server cannot send us
 * elsewhere) and `ws` (no redirects, no compression: frames are small and local).
 */
export function nodeTransport(): ComfyTransport {
  return {
    async http(method, url, body, signal) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          signal,
          redirect: 'manual',
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw new TransportError(systemCode(err), messageOf(err));
      }
      let bytes: Buffer;
      try {
        bytes = Buffer.from(await res.arrayBuffer());
      } catch (err) {
        throw new TransportError(systemCode(err), `the answer broke off: ${messageOf(err)}`);
      }
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      return { status: res.status, contentType, body: bytes };
    },

    socket(url, listener, signal) {
      return new Promise<ComfySocket>((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: false, followRedirects: false, handshakeTimeout: 30_000 });
        let open = false;
        let closedByUs = false;
        const onAbort = (): void => {
          ws.terminate();
          reject(new TransportError('ABORT', 'cancelled while connecting'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        ws.on('open', () => {
          open = true;
          signal.removeEventListener('abort', onAbort);
          resolve({
            close() {
              closedByUs = true;
              ws.removeAllListeners('message');
              ws.close();
            },
          });
        });
        ws.on('message', (data, isBinary) => {
          const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          listener.message(isBinary ? buf : buf.toString('utf8'));
        });
        ws.on('error', (err) => {
          if (!open) {
            signal.removeEventListener('abort', onAbort);
            reject(new TransportError(systemCode(err), messageOf(err)));
          }
          // After open, an error is always followed by 'close', which reports it.
        });
        ws.on('unexpected-response', (_req, res) => {
          signal.removeEventListener('abort', onAbort);
          reject(new TransportError('HTTP', `the WebSocket handshake got HTTP ${res.statusCode}`));
          ws.terminate();
        });
        ws.on('close', (code, reason) => {
          if (open && !closedByUs) listener.close(code, reason.toString('utf8'));
        });
      });
    },
  };
}

/** One event of a recorded exchange, in the order the client saw it. */
export type TranscriptEvent =
  | {
      readonly ev: 'http';
      readonly method: 'GET' | 'POST';
      /** Relative to the server base, query included (e.g. `history/ID`, `view?filename=...`). */
      readonly path: string;
      readonly body?: unknown;
      readonly status?: number;
      readonly contentType?: string;
      /** The body as text (JSON and text answers) or base64 (anything else). */
      readonly text?: string;
      readonly base64?: string;
      /** Instead of an answer: the TransportError code. */
      readonly error?: string;
    }
  | { readonly ev: 'ws-open'; readonly error?: string }
  | { readonly ev: 'ws'; readonly text?: string; readonly base64?: string }
  | { readonly ev: 'ws-close'; readonly code: number; readonly reason?: string };

function isTextual(contentType: string): boolean {
  return contentType.startsWith('text/') || contentType === 'application/json';
}

/** The path of `url` relative to `base`, with its query. */
export function relativePath(base: URL, url: URL): string {
  const path = url.pathname.startsWith(base.pathname) ? url.pathname.slice(base.pathname.length) : url.pathname;
  return `${path}${url.search}`;
}

/**
 * Wraps a transport and appends every request (logged when sent, answered in place), socket
 * frame and close to `events`, for `npm run record:comfyui`.
 */
export function recordingTransport(inner: ComfyTransport, base: URL, events: TranscriptEvent[]): ComfyTransport {
  return {
    async http(method, url, body, signal) {
      const entry: {
        -readonly [K in keyof Extract<TranscriptEvent, { ev: 'http' }>]: Extract<TranscriptEvent, { ev: 'http' }>[K];
      } = {
        ev: 'http',
        method,
        path: relativePath(base, url),
        ...(body === undefined ? {} : { body }),
      };
      events.push(entry);
      try {
        const reply = await inner.http(method, url, body, signal);
        entry.status = reply.status;
        entry.contentType = reply.contentType;
        if (isTextual(reply.contentType)) entry.text = reply.body.toString('utf8');
        else entry.base64 = reply.body.toString('base64');
        return reply;
      } catch (err) {
        entry.error = err instanceof TransportError ? err.code : 'ERROR';
        throw err;
      }
    },
    async socket(url, listener, signal) {
      const entry: { ev: 'ws-open'; error?: string } = { ev: 'ws-open' };
      events.push(entry);
      try {
        return await inner.socket(
          url,
          {
            message(data) {
              events.push(
                typeof data === 'string' ? { ev: 'ws', text: data } : { ev: 'ws', base64: data.toString('base64') },
              );
              listener.message(data);
            },
            close(code, reason) {
              events.push({ ev: 'ws-close', code, reason });
              listener.close(code, reason);
            },
          },
          signal,
        );
      } catch (err) {
        entry.error = err instanceof TransportError ? err.code : 'ERROR';
        throw err;
      }
    },
  };
}
