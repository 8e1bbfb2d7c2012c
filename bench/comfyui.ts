/**
 * `npm run bench:comfyui` (node out/bench/comfyui.js [--server URL --checkpoint NAME] [--runs N]
 * [--size WxH] [--steps N]): the per-render overhead of our ComfyUI client over ComfyUI's own
 * execution time, against a bare client in the same process that does only the protocol's
 * minimum (socket, POST /prompt, wait for `executing {node: null}`, GET /history, GET /view),
 * interleaved run by run with different seeds so that ComfyUI's cache never answers.
 *
 * Prints, per size: ComfyUI's execution time (its execution_start to execution_success), the
 * wall time of each client, each one's overhead over execution, and our client's time over the
 * bare one's (`client/bare`). Without --server it starts the vendored ComfyUI with the tiny
 * checkpoint, as the live tests do.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ComfyClient, buildGraph, type ComfyRenderParams } from '../src/render/comfyui';
import { startTestServer } from '../test/live/comfyServer';
import { median } from './harness';

interface Sample {
  wallMs: number;
  execMs: number;
  /** CPU time of this process (user + system) during the render: what the client itself costs. */
  cpuMs: number;
}

async function measure(fn: () => Promise<{ execMs: number }>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { execMs } = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, execMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** The protocol's minimum, no checks: what any client has to spend. */
async function bareRender(server: string, params: ComfyRenderParams): Promise<{ execMs: number }> {
  const clientId = randomUUID();
  const ws = new WebSocket(`${server.replace(/^http/, 'ws')}/ws?clientId=${clientId}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let promptId = '';
  let start = 0;
  let end = 0;
  const done = new Promise<void>((resolve, reject) => {
    ws.once('close', () => reject(new Error('the server closed the socket')));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(String(data)) as {
        type: string;
        data: { prompt_id?: string; node?: string | null; timestamp?: number };
      };
      if (msg.type === 'execution_start') start = msg.data.timestamp ?? 0;
      if (msg.type === 'execution_success') end = msg.data.timestamp ?? 0;
      if (msg.type === 'executing' && msg.data.node === null && msg.data.prompt_id === promptId) resolve();
    });
  });
  const res = await fetch(`${server}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: buildGraph(params).graph, client_id: clientId }),
  });
  promptId = ((await res.json()) as { prompt_id: string }).prompt_id;
  await done;
  const history = (await (await fetch(`${server}/history/${promptId}`)).json()) as Record<
    string,
    { outputs: Record<string, { images: Array<Record<string, string>> }> }
  >;
  const img = history[promptId]!.outputs.image!.images[0]!;
  const png = Buffer.from(await (await fetch(`${server}/view?${new URLSearchParams(img).toString()}`)).arrayBuffer());
  ws.close();
  if (png.length < 8) throw new Error('no image');
  return { execMs: end - start };
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      checkpoint: { type: 'string', default: 'tiny.safetensors' },
      runs: { type: 'string', default: '8' },
      size: { type: 'string', multiple: true },
      steps: { type: 'string', default: '2' },
    },
  });
  const runs = Number(values.runs);
  const sizes = (values.size?.length ? values.size : ['64x64', '256x256']).map(
    (s) => s.split('x').map(Number) as [number, number],
  );
  const test = values.server ? undefined : await startTestServer({ checkpoint: values.checkpoint });
  const url = values.server ?? test!.server.url;
  try {
    const client = new ComfyClient({ server: url });
    let seed = 1000;
    for (const [width, height] of sizes) {
      const params = (s: number): ComfyRenderParams => ({
        prompt: 'a red cube to the left of a blue ball',
        steps: Number(values.steps),
        guidanceScale: 7,
        seed: s,
        width,
        height,
        checkpoint: values.checkpoint,
      });
      // Warm-up: loads the model and fills the text-encoder cache for both clients.
      await client.render(params(seed++));
      await bareRender(url, params(seed++));
      const ours: Sample[] = [];
      const bare: Sample[] = [];
      const runOurs = async () =>
        ours.push(await measure(async () => ({ execMs: (await client.render(params(seed++))).timings.executionMs })));
      const runBare = async () => bare.push(await measure(() => bareRender(url, params(seed++))));
      for (let i = 0; i < runs; i++) {
        // Alternate which goes first, so that neither always follows the other's clean-up.
        if (i % 2 === 0) await runOurs().then(runBare);
        else await runBare().then(runOurs);
      }
      const sorted = (xs: Sample[], f: (s: Sample) => number) => xs.map(f).sort((a, b) => a - b);
      const med = (xs: Sample[], f: (s: Sample) => number) => median(sorted(xs, f));
      const min = (xs: Sample[], f: (s: Sample) => number) => sorted(xs, f)[0]!;
      const over = (s: Sample) => s.wallMs - s.execMs;
      process.stdout.write(`\n## comfyui ${width}x${height}, ${values.steps} steps, ${runs} runs each\n`);
      const rows: Record<string, string> = {
        'ComfyUI execution, median (ours / bare runs)': `${fmt(med(ours, (s) => s.execMs))} / ${fmt(med(bare, (s) => s.execMs))}`,
        'wall time, median: our client / bare': `${fmt(med(ours, (s) => s.wallMs))} / ${fmt(med(bare, (s) => s.wallMs))}`,
        'overhead over execution, median: ours / bare': `${fmt(med(ours, over))} / ${fmt(med(bare, over))}`,
        'overhead over execution, fastest: ours / bare': `${fmt(min(ours, over))} / ${fmt(min(bare, over))}`,
        'overhead as a share of wall time, median (ours)': `${((med(ours, over) / med(ours, (s) => s.wallMs)) * 100).toFixed(1)}%`,
        'client CPU per render, median: ours / bare': `${fmt(med(ours, (s) => s.cpuMs))} / ${fmt(med(bare, (s) => s.cpuMs))}`,
      };
      for (const [k, v] of Object.entries(rows)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
    }
  } finally {
    await test?.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:comfyui: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
