/**
 * `npm run record:comfyui`: records the client's exchanges with a real ComfyUI (HTTP bodies and
 * WebSocket frames, in the order the client saw them) into test/fixtures/comfyui/NAME.jsonl.gz,
 * which the unit tests replay. Starts its own server as the live suite does, with latent
 * previews on so that binary frames are in the transcripts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  ComfyClient,
  nodeTransport,
  recordingTransport,
  type ComfyJob,
  type ComfyRenderParams,
  type TranscriptEvent,
} from '../../src/render/comfyui';
import { fixture } from '../unit/helpers/paths';
import { PREVIEW_ARGS, startTestServer, type ComfyServer } from './comfyServer';
import { CORRUPT, LONG, MISSING_INPUT, PLAIN, REGIONS, TINY, UNKNOWN_NODE } from './scenarios';

/** First line of every transcript. */
export interface TranscriptMeta {
  readonly scenario: string;
  readonly comfyui: string;
  readonly recorded: string;
  /** What the client was asked to do (replayed as is). */
  readonly params?: ComfyRenderParams;
  readonly job?: ComfyJob;
  /** What came of it: 'ok', or the error's name and kind. */
  readonly outcome: string;
  /** The error's message, when it failed. */
  readonly message?: string;
}

const outDir = fixture('comfyui');

async function record(
  server: ComfyServer,
  version: string,
  scenario: string,
  what: { params?: ComfyRenderParams; job?: ComfyJob },
  drive: (client: ComfyClient, run: () => Promise<unknown>) => Promise<unknown> = (_c, run) => run(),
): Promise<void> {
  const events: TranscriptEvent[] = [];
  const base = new URL(`${server.url}/`);
  const client = new ComfyClient({
    server: server.url,
    transport: recordingTransport(nodeTransport(), base, events),
    historyRetryMs: [25],
  });
  let outcome = 'ok';
  let message: string | undefined;
  try {
    await drive(client, () => (what.params ? client.render(what.params) : client.run(what.job!)));
  } catch (err) {
    outcome = `${(err as Error).name}${(err as { kind?: string }).kind ? `:${(err as { kind: string }).kind}` : ''}`;
    message = (err as Error).message;
  }
  const meta: TranscriptMeta = {
    scenario,
    comfyui: version,
    recorded: new Date().toISOString().slice(0, 10),
    ...what,
    outcome,
    ...(message ? { message } : {}),
  };
  const text = [JSON.stringify({ meta }), ...events.map((e) => JSON.stringify(e))].join('\n') + '\n';
  const file = path.join(outDir, `${scenario}.jsonl.gz`);
  fs.writeFileSync(file, zlib.gzipSync(text, { level: 9 }));
  process.stdout.write(
    `${scenario}: ${outcome}, ${events.length} events, ${fs.statSync(file).size} bytes${message ? `\n  ${message}` : ''}\n`,
  );
}

async function main(): Promise<void> {
  const test = await startTestServer({ args: PREVIEW_ARGS, checkpoint: TINY, corrupt: CORRUPT });
  const server = test.server;
  try {
    fs.mkdirSync(outDir, { recursive: true });
    const version = (await new ComfyClient({ server: server.url }).systemInfo()).version;
    await record(server, version, 'render-plain', { params: PLAIN });
    await record(server, version, 'render-cached', { params: PLAIN });
    await record(server, version, 'render-regions', { params: REGIONS });
    await record(server, version, 'bad-checkpoint', { params: { ...PLAIN, checkpoint: 'nope.safetensors' } });
    await record(server, version, 'bad-sampler', { params: { ...PLAIN, sampler: 'bogus' } });
    await record(server, version, 'unknown-node', { job: UNKNOWN_NODE });
    await record(server, version, 'missing-input', { job: MISSING_INPUT });
    await record(server, version, 'execution-error', { params: { ...PLAIN, checkpoint: CORRUPT } });
    await record(server, version, 'cancel-running', { params: LONG }, (client) => {
      const ac = new AbortController();
      return client.render(LONG, { signal: ac.signal, onStep: () => ac.abort() });
    });
    // Someone presses Cancel in ComfyUI's own window: a global interrupt we did not ask for.
    await record(server, version, 'interrupted-by-server', { params: LONG }, (client) =>
      client.render(LONG, {
        onStep: (step) => {
          if (step === 1) void fetch(`${server.url}/interrupt`, { method: 'POST' });
        },
      }),
    );
    // Cancel while queued behind another prompt: only the queue deletion applies.
    const blocker = new AbortController();
    let blocking: Promise<unknown> = Promise.resolve();
    await new Promise<void>((started) => {
      blocking = new ComfyClient({ server: server.url }).render(
        { ...LONG, seed: 8 },
        { signal: blocker.signal, onStep: (s) => s === 1 && started() },
      );
    });
    await record(server, version, 'cancel-queued', { params: { ...PLAIN, seed: 9 } }, (client) => {
      const ac = new AbortController();
      return client.render({ ...PLAIN, seed: 9 }, { signal: ac.signal, onPhase: (p) => p === 'queued' && ac.abort() });
    });
    blocker.abort();
    await blocking.catch(() => undefined);
    await record(server, version, 'server-killed', { params: LONG }, (client) =>
      client.render(LONG, {
        onStep: (step) => {
          if (step === 1) void server.kill();
        },
      }),
    );
  } finally {
    await test.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`record:comfyui: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
