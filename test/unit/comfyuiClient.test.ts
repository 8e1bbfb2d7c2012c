/**
 * The ComfyUI client's state machine, driven by transcripts recorded from the real vendored
 * ComfyUI (test/fixtures/comfyui, re-recorded with `npm run record:comfyui`), and by edits of
 * them for orderings the live server rarely shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodePng, readPngText } from '../../src/image';
import { RenderCancelledError } from '../../src/render';
import {
  ComfyClient,
  ComfyError,
  type ComfyPhase,
  type ComfyPreview,
  type ComfyRenderControl,
  type TranscriptEvent,
} from '../../src/render/comfyui';
import {
  frame,
  indexOf,
  isComfyError,
  isFrame,
  loadTranscript,
  promptIdOf,
  ReplayTransport,
  type Transcript,
} from './helpers/comfyReplay';
import { freePortForTests } from './helpers/ports';

const BASE = 'http://127.0.0.1:8188';

interface Replayed {
  readonly transport: ReplayTransport;
  readonly client: ComfyClient;
  readonly steps: Array<[number, number]>;
  readonly phases: ComfyPhase[];
  readonly previews: ComfyPreview[];
  readonly control: ComfyRenderControl;
}

function replay(t: Transcript, control: Partial<ComfyRenderControl> = {}): Replayed {
  const transport = new ReplayTransport(t.events, new URL(`${BASE}/`));
  const client = new ComfyClient({ server: BASE, transport, historyRetryMs: [1, 1, 1] });
  const steps: Array<[number, number]> = [];
  const phases: ComfyPhase[] = [];
  const previews: ComfyPreview[] = [];
  const full: ComfyRenderControl = {
    ...control,
    onStep: (s, n) => {
      steps.push([s, n]);
      control.onStep?.(s, n);
    },
    onPhase: (p) => {
      phases.push(p);
      control.onPhase?.(p);
    },
    onPreview: (p) => previews.push(p),
  };
  return { transport, client, steps, phases, previews, control: full };
}

function render(r: Replayed, t: Transcript) {
  return t.meta.params ? r.client.render(t.meta.params, r.control) : r.client.run(t.meta.job!, r.control);
}

function assertFaithful(r: Replayed): void {
  assert.deepEqual(r.transport.mismatches, []);
  assert.deepEqual(r.transport.closedSockets, [1], 'the socket is closed at the end');
  assert.equal(r.transport.earlyHistoryReads, 0, 'history read before executing {node: null}');
}

function withEvents(t: Transcript, edit: (events: TranscriptEvent[]) => void): Transcript {
  const events = [...t.events];
  edit(events);
  return { meta: t.meta, events };
}

const oneLine = (e: unknown) => e instanceof Error && !/[\r\n]/.test(e.message);

/** A `GET /history/ID` answered `{}`: the entry not written yet. */
function emptyHistory(id: string): TranscriptEvent {
  return { ev: 'http', method: 'GET', path: `history/${id}`, status: 200, contentType: 'application/json', text: '{}' };
}

function recordedPng(t: Transcript): Buffer {
  const view = t.events.find((e) => e.ev === 'http' && e.path.startsWith('view?'));
  assert.ok(view && view.ev === 'http' && view.base64);
  return Buffer.from(view.base64, 'base64');
}

test('a recorded render: steps, phases, previews, our PNG chunks, ComfyUI pixels', async () => {
  const t = loadTranscript('render-plain');
  const r = replay(t);
  const result = await r.client.render(t.meta.params!, r.control);
  assertFaithful(r);
  const id = promptIdOf(t);
  assert.deepEqual(r.steps, [
    [1, 2],
    [2, 2],
  ]);
  assert.deepEqual(r.phases, ['queued', 'running', 'sampling', 'decoding', 'fetching']);
  assert.ok(
    r.previews.length >= 1 &&
      r.previews.every((p) => p.format === 'jpeg' && p.bytes[0] === 0xff && p.bytes[1] === 0xd8),
    'JPEG previews from binary frames',
  );
  assert.deepEqual(
    r.transport.requests.map((q) => `${q.method} ${q.path.split('?')[0]}`),
    ['WS ws', 'POST prompt', `GET history/${id}`, 'GET view'],
  );
  assert.equal(result.promptId, id);
  assert.equal(result.png.length, 1);
  assert.deepEqual([result.width, result.height], [64, 64]);
  const p = t.meta.params!;
  assert.deepEqual(readPngText(result.png[0]!), {
    prompt: p.prompt,
    negative_prompt: p.negativePrompt,
    seed: String(p.seed),
    steps: String(p.steps),
    guidance: String(p.guidanceScale),
    sampler: 'euler',
    scheduler: 'normal',
    size: '64x64',
    backend: 'comfyui',
    server: BASE,
    checkpoint: p.checkpoint,
    Software: 'SPRIGHT Lens',
  });
  // ComfyUI's own chunks (its graph as `prompt`, and `workflow`) are gone; the pixels are its.
  assert.ok('workflow' in readPngText(recordedPng(t)) || /class_type/.test(readPngText(recordedPng(t)).prompt ?? ''));
  assert.deepEqual(decodePng(result.png[0]!).data, decodePng(recordedPng(t)).data);
  const start = t.events.find((e) => isFrame(e, 'execution_start'))!;
  const end = t.events.find((e) => isFrame(e, 'execution_success'))!;
  const ts = (e: TranscriptEvent) =>
    (JSON.parse((e as { text: string }).text) as { data: { timestamp: number } }).data.timestamp;
  assert.equal(result.timings.executionMs, ts(end) - ts(start));
  assert.equal(result.cached, false);
});

test('a graph ComfyUI answers from its cache is reported as cached, with no steps', async () => {
  const t = loadTranscript('render-cached');
  const r = replay(t);
  const result = await r.client.render(t.meta.params!, r.control);
  assertFaithful(r);
  assert.equal(result.cached, true);
  assert.deepEqual(r.steps, []);
  assert.equal(readPngText(result.png[0]!).seed, String(t.meta.params!.seed));
});

test('a region guide goes out as ConditioningSetArea regions and the rounding comes back', async () => {
  const t = loadTranscript('render-regions');
  const r = replay(t);
  const result = await r.client.render(t.meta.params!, r.control);
  // The graph sent equals the recorded one (the replay compares bodies).
  assertFaithful(r);
  assert.deepEqual(result.regions, [
    {
      id: 'cube',
      prompt: 'a red cube',
      strength: 1,
      requested: { x: 1, y: 1.5, w: 58.5, h: 61 },
      applied: { x: 0, y: 0, w: 64, h: 64 },
      adjusted: true,
    },
  ]);
  assert.deepEqual(JSON.parse(readPngText(result.png[0]!).regions!), [
    { id: 'cube', prompt: 'a red cube', box: { x: 0, y: 0, w: 64, h: 64 }, strength: 1 },
  ]);
  assert.deepEqual(JSON.parse(readPngText(result.png[0]!).guide!), t.meta.params!.regions);
  assert.deepEqual([result.width, result.height], [128, 64]);
});

test('history still empty right after the run: the client reads it again', async () => {
  const base = loadTranscript('render-plain');
  const id = promptIdOf(base);
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => e.ev === 'http' && e.path === `history/${id}`);
    const empty = emptyHistory(id);
    ev.splice(i, 0, empty, empty);
  });
  const r = replay(t);
  const result = await r.client.render(t.meta.params!, r.control);
  assertFaithful(r);
  assert.equal(r.transport.requests.filter((q) => q.path.startsWith('history/')).length, 3);
  assert.equal(result.png.length, 1);
});

test('history never written: the images named in the executed message are used', async () => {
  const base = loadTranscript('render-plain');
  const id = promptIdOf(base);
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => e.ev === 'http' && e.path === `history/${id}`);
    const empty = emptyHistory(id);
    ev.splice(i, 1, empty, empty, empty, empty);
  });
  const r = replay(t);
  const result = await r.client.render(t.meta.params!, r.control);
  assertFaithful(r);
  assert.equal(r.transport.requests.filter((q) => q.path.startsWith('history/')).length, 4);
  assert.deepEqual(decodePng(result.png[0]!).data, decodePng(recordedPng(base)).data);
});

test('history is not read at execution_success, only at executing {node: null}', async () => {
  // Frames between the two give an eager client time to ask (and get `{}`, as the live server did).
  const base = loadTranscript('render-plain');
  const id = promptIdOf(base);
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => isFrame(e, 'execution_success'));
    ev.splice(
      i + 1,
      0,
      frame('status', { status: { exec_info: { queue_remaining: 0 } } }),
      frame('progress_state', { prompt_id: id, nodes: {} }),
    );
  });
  const r = replay(t);
  await r.client.render(t.meta.params!, r.control);
  assertFaithful(r);
});

test('binary frames of other kinds, foreign prompts and non-JSON text are ignored', async () => {
  const base = loadTranscript('render-plain');
  const id = promptIdOf(base);
  const bin = (...parts: Buffer[]): TranscriptEvent => ({ ev: 'ws', base64: Buffer.concat(parts).toString('base64') });
  const u32 = (...v: number[]) =>
    Buffer.concat(v.map((n) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])));
  const meta = (pid: string) => Buffer.from(JSON.stringify({ prompt_id: pid, image_type: 'image/png' }));
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => isFrame(e, 'progress', { value: 1 }));
    ev.splice(
      i + 1,
      0,
      bin(u32(4, meta(id).length), meta(id), Buffer.from('\x89PNG-ours', 'latin1')),
      bin(u32(4, meta('someone-else').length), meta('someone-else'), Buffer.from('\x89PNG-theirs', 'latin1')),
      bin(u32(2, 1), Buffer.from('raw pixels')),
      bin(Buffer.from([1, 2])),
      { ev: 'ws', text: 'not json {' },
      frame('crystools.monitor', { cpu_utilization: 3 }),
      frame('progress', { value: 5, max: 9, node: 'sampler', prompt_id: 'someone-else' }),
      frame('execution_error', {
        prompt_id: 'someone-else',
        node_id: '3',
        node_type: 'KSampler',
        exception_message: 'theirs',
      }),
    );
  });
  const r = replay(t);
  await r.client.render(t.meta.params!, r.control);
  assertFaithful(r);
  assert.deepEqual(r.steps, [
    [1, 2],
    [2, 2],
  ]);
  assert.deepEqual(
    r.previews.filter((p) => p.format === 'png').map((p) => p.bytes.toString('latin1')),
    ['\x89PNG-ours'],
  );
});

test('cancel while running: delete from the queue, interrupt our prompt, RenderCancelledError', async () => {
  const t = loadTranscript('cancel-running');
  const ac = new AbortController();
  const r = replay(t, { signal: ac.signal, onStep: () => ac.abort() });
  await assert.rejects(render(r, t), RenderCancelledError);
  assertFaithful(r);
  // ComfyUI lists an interrupted prompt as running until executing {node: null}: the cancel
  // resolves only then, so the next render never queues behind it.
  assert.ok(r.transport.endDelivered, 'the cancel waited for the server to let go');
  const id = promptIdOf(t);
  assert.deepEqual(
    r.transport.requests.slice(2).map((q) => [q.method, q.path, q.body]),
    [
      ['POST', 'queue', { delete: [id] }],
      ['POST', 'interrupt', { prompt_id: id }],
    ],
  );
});

test('cancel while queued: the prompt is deleted and never runs', async () => {
  const t = loadTranscript('cancel-queued');
  const ac = new AbortController();
  const r = replay(t, { signal: ac.signal, onPhase: (p) => p === 'queued' && ac.abort() });
  await assert.rejects(render(r, t), RenderCancelledError);
  assertFaithful(r);
  assert.deepEqual(
    r.transport.requests.map((q) => `${q.method} ${q.path}`),
    ['WS ws', 'POST prompt', 'POST queue', 'POST interrupt', 'GET queue'],
  );
  assert.deepEqual(r.steps, []);
});

test('an abort before anything was sent rejects at once', async () => {
  const t = loadTranscript('render-plain');
  const r = replay(t, { signal: AbortSignal.abort() });
  await assert.rejects(render(r, t), RenderCancelledError);
  assert.deepEqual(r.transport.requests, []);
});

test('an interrupt from someone else is an interrupted error naming the node', async () => {
  const t = loadTranscript('interrupted-by-server');
  const r = replay(t);
  await assert.rejects(
    render(r, t),
    isComfyError(
      'interrupted',
      /interrupted the render in node 'sampler' \(KSampler\): someone stopped it on the server/,
    ),
  );
  assertFaithful(r);
});

test('an execution_error names the node and the exception in one line', async () => {
  const t = loadTranscript('execution-error');
  const r = replay(t);
  await assert.rejects(
    render(r, t),
    isComfyError(
      'execution',
      /failed in node 'checkpoint' \(CheckpointLoaderSimple\): [\w.]+Error: Error while deserializing header/,
    ),
  );
  assertFaithful(r);
});

test('server text stays text: markup is kept literally, control characters and newlines go', async () => {
  const base = loadTranscript('execution-error');
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => isFrame(e, 'execution_error'));
    const msg = JSON.parse((ev[i] as { text: string }).text) as { data: Record<string, unknown> };
    msg.data.exception_message = '<img src=x onerror=alert(1)>\n\x1b[31mbroken\x1b[0m\r\n' + 'x'.repeat(1000);
    ev[i] = { ev: 'ws', text: JSON.stringify(msg) };
  });
  const r = replay(t);
  await assert.rejects(render(r, t), (e: unknown) => {
    assert.ok(e instanceof ComfyError && oneLine(e));
    assert.match(e.message, /: <img src=x onerror=alert\(1\)> broken x+…$/);
    assert.ok(e.message.length < 500);
    return true;
  });
});

test('a checkpoint that is not on the server: its name and the ones there', async () => {
  const t = loadTranscript('bad-checkpoint');
  const r = replay(t);
  await assert.rejects(render(r, t), (e: unknown) => {
    isComfyError(
      'checkpoint',
      /checkpoint "nope\.safetensors" is not on the ComfyUI server at http:\/\/127\.0\.0\.1:8188 \(it has: .*tiny\.safetensors.*\): put the file/,
    )(e);
    assert.deepEqual((e as ComfyError).node, {
      id: 'checkpoint',
      classType: 'CheckpointLoaderSimple',
      input: 'ckpt_name',
    });
    return true;
  });
  assertFaithful(r);
});

test('a rejected graph names the node and the input', async () => {
  for (const [name, re, node] of [
    [
      'bad-sampler',
      /rejected node 'sampler' \(KSampler\) input 'sampler_name': Value not in list/,
      { id: 'sampler', classType: 'KSampler', input: 'sampler_name' },
    ],
    [
      'missing-input',
      /rejected node 'out' \(PreviewImage\) input 'images': Required input is missing/,
      { id: 'out', classType: 'PreviewImage', input: 'images' },
    ],
    ['unknown-node', /rejected the graph: .*NoSuchNode/, undefined],
  ] as const) {
    const t = loadTranscript(name);
    const r = replay(t);
    await assert.rejects(render(r, t), (e: unknown) => {
      isComfyError('rejected', re)(e);
      assert.deepEqual((e as ComfyError).node, node);
      return true;
    });
    assertFaithful(r);
  }
});

test('a server killed mid-render ends in one server-lost error', async () => {
  const t = loadTranscript('server-killed');
  const r = replay(t);
  await assert.rejects(
    render(r, t),
    isComfyError('server-lost', /went away during the render after step 1\/1000 .*nothing was saved/),
  );
  assertFaithful(r);
});

/** render-plain with the socket dropped after step 1, the server still answering, and a reconnect. */
function droppedSocket(after: TranscriptEvent[] = []): Transcript {
  const base = loadTranscript('render-plain');
  return withEvents(base, (ev) => {
    const i = indexOf(base, (e) => isFrame(e, 'progress', { value: 1 }));
    const stats: TranscriptEvent = {
      ev: 'http',
      method: 'GET',
      path: 'system_stats',
      status: 200,
      contentType: 'application/json',
      text: '{"system": {}, "devices": []}',
    };
    ev.splice(i + 1, 0, { ev: 'ws-close', code: 1006 }, stats, { ev: 'ws-open' }, ...after);
  });
}

test('a socket dropped while the server lives: one reconnect, and the render completes', async () => {
  const t = droppedSocket();
  const r = replay(t);
  const result = await r.client.render(t.meta.params!, r.control);
  assert.deepEqual(r.transport.mismatches, []);
  assert.equal(r.transport.earlyHistoryReads, 1, 'one history check right after the reconnect');
  assert.deepEqual(r.transport.closedSockets, [2], 'the new socket is closed at the end');
  assert.deepEqual(r.steps, [
    [1, 2],
    [2, 2],
  ]);
  assert.equal(result.png.length, 1);
});

test('a failure after a reconnect closes the new socket too', async () => {
  const id = promptIdOf(loadTranscript('render-plain'));
  const t = droppedSocket([
    frame('execution_error', {
      prompt_id: id,
      node_id: 'decode',
      node_type: 'VAEDecode',
      exception_type: 'RuntimeError',
      exception_message: 'out of memory',
    }),
  ]);
  const r = replay(t);
  await assert.rejects(
    render(r, t),
    isComfyError('execution', /failed in node 'decode' \(VAEDecode\): RuntimeError: out of memory$/),
  );
  assert.deepEqual(r.transport.closedSockets, [2]);
});

test('a PNG cut off in transfer is a protocol error, never a result', async () => {
  const base = loadTranscript('render-plain');
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => e.ev === 'http' && e.path.startsWith('view?'));
    const view = ev[i] as Extract<TranscriptEvent, { ev: 'http' }>;
    const bytes = Buffer.from(view.base64!, 'base64');
    ev[i] = { ...view, base64: bytes.subarray(0, bytes.length >> 1).toString('base64') };
  });
  const r = replay(t);
  await assert.rejects(
    render(r, t),
    isComfyError('protocol', /ComfyUI_temp_\w+_00001_\.png that is not a complete PNG \(truncated PNG/),
  );
});

test('an HTML error page is described, not quoted', async () => {
  const base = loadTranscript('render-plain');
  const t = withEvents(base, (ev) => {
    const i = indexOf(base, (e) => e.ev === 'http' && e.path === 'prompt');
    ev.splice(i, ev.length - i, {
      ...(ev[i] as Extract<TranscriptEvent, { ev: 'http' }>),
      status: 502,
      contentType: 'text/html',
      text: '<html><script>alert(1)</script>Bad gateway</html>',
    });
  });
  const r = replay(t);
  await assert.rejects(
    render(r, t),
    isComfyError(
      'protocol',
      /^http:\/\/127\.0\.0\.1:8188\/prompt answered HTTP 502 with an HTML page: is it a ComfyUI server\?$/,
    ),
  );
});

test('the checkpoint and sampler lists come from /object_info', async () => {
  const t = loadTranscript('bad-checkpoint');
  const info = t.events.find((e) => e.ev === 'http' && e.path === 'object_info/CheckpointLoaderSimple')!;
  const r = replay({ meta: t.meta, events: [info] });
  assert.deepEqual(await r.client.listCheckpoints(), ['corrupt.safetensors', 'tiny.safetensors']);
  // The newer combo format as well.
  const combo: TranscriptEvent = {
    ev: 'http',
    method: 'GET',
    path: 'object_info/KSampler',
    status: 200,
    contentType: 'application/json',
    text: JSON.stringify({
      KSampler: {
        input: {
          required: { sampler_name: ['COMBO', { options: ['euler', 'ddim'] }], scheduler: [['normal', 'karras']] },
        },
      },
    }),
  };
  assert.deepEqual(await replay({ meta: t.meta, events: [combo] }).client.samplerOptions(), {
    samplers: ['euler', 'ddim'],
    schedulers: ['normal', 'karras'],
  });
});

test('nothing listening: one unreachable error saying how to start ComfyUI', async () => {
  const port = await freePortForTests();
  const client = new ComfyClient({ server: `http://127.0.0.1:${port}` });
  await assert.rejects(
    client.listCheckpoints(),
    isComfyError(
      'unreachable',
      new RegExp(`cannot reach ComfyUI at http://127\\.0\\.0\\.1:${port} \\(connection refused\\): start ComfyUI`),
    ),
  );
  await assert.rejects(
    client.render({ prompt: 'a cat', steps: 1, guidanceScale: 1, seed: 1, width: 64, height: 64, checkpoint: 'x' }),
    isComfyError('unreachable', /connection refused/),
  );
});

test('a web server that is not ComfyUI, or redirects elsewhere, is refused', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/object_info/CheckpointLoaderSimple') {
      res.writeHead(302, { location: 'http://example.com/object_info' });
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<h1>Not found</h1>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = new ComfyClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    await assert.rejects(client.listCheckpoints(), isComfyError('protocol', /answered HTTP 302/));
    await assert.rejects(
      client.systemInfo(),
      isComfyError('protocol', /system_stats answered HTTP 404 with an HTML page/),
    );
    await assert.rejects(
      client.render({ prompt: 'a cat', steps: 1, guidanceScale: 1, seed: 1, width: 64, height: 64, checkpoint: 'x' }),
      isComfyError('protocol', /is not a ComfyUI server: .*HTTP 404 at \/ws/),
    );
  } finally {
    server.close();
  }
});
