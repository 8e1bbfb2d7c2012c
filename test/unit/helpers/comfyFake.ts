/**
 * A ComfyUI stand-in on a loopback port, for tests of what sits above the client (the service's
 * `comfyui` backend, `render` and `batch`): real HTTP and WebSocket, answers taken from recorded
 * transcripts (one per render, in order, each through a `ReplayTransport` that records how the
 * client left the script), and `/object_info/CheckpointLoaderSimple` answered from a list.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ComfySocket } from '../../../src/render/comfyui';
import { ReplayTransport, type Transcript } from './comfyReplay';

export interface FakeComfy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** One replay per WebSocket the clients opened, in order. */
  readonly replays: ReplayTransport[];
  /** Requests that came when no transcript was left, or that failed. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Starts the stand-in; every WebSocket open takes the next of `transcripts`. */
export async function startFakeComfy(options: { checkpoints: readonly string[]; transcripts: readonly Transcript[] }): Promise<FakeComfy> {
  const replays: ReplayTransport[] = [];
  const problems: string[] = [];
  let base = new URL('http://127.0.0.1/');
  const current = (): ReplayTransport | undefined => replays[replays.length - 1];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      if (url.pathname === '/object_info/CheckpointLoaderSimple') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ CheckpointLoaderSimple: { input: { required: { ckpt_name: [options.checkpoints, {}] } } } }));
        return;
      }
      const replay = current();
      if (!replay) {
        problems.push(`${req.method} ${url.pathname} before any WebSocket`);
        res.writeHead(500).end();
        return;
      }
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
      replay.http(req.method === 'POST' ? 'POST' : 'GET', url, body).then(
        (reply) => {
          res.writeHead(reply.status, reply.contentType ? { 'content-type': reply.contentType } : {});
          res.end(reply.body);
        },
        (err: Error) => {
          problems.push(`${req.method} ${url.pathname}: ${err.message}`);
          req.socket.destroy();
        },
      );
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const next = options.transcripts[replays.length];
    if (!next) {
      problems.push('a WebSocket with no transcript left');
      socket.destroy();
      return;
    }
    const replay = new ReplayTransport(next.events, base);
    replays.push(replay);
    // Frames the replay releases before the upgrade completes wait here.
    let ws: WebSocket | undefined;
    const pending: Array<string | Buffer> = [];
    let closeCode: number | undefined;
    let comfySocket: ComfySocket | undefined;
    replay
      .socket(new URL(req.url ?? '/ws', base), {
        message: (data) => (ws ? ws.send(data) : pending.push(data)),
        close: (code) => (ws ? ws.close(code >= 1000 && code < 5000 ? code : 1000) : (closeCode = code)),
      })
      .then(
        (s) => {
          comfySocket = s;
          wss.handleUpgrade(req, socket, head, (opened) => {
            ws = opened;
            opened.on('close', () => comfySocket?.close());
            for (const d of pending.splice(0)) opened.send(d);
            if (closeCode !== undefined) opened.close(1000);
          });
        },
        () => socket.destroy(),
      );
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = new URL(`http://127.0.0.1:${port}/`);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    replays,
    problems,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
