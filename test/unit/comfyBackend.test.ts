/**
 * The `comfyui` render backend behind the service, driven from the CLI's `render` and `batch`
 * against a ComfyUI stand-in on a loopback port that replays recorded transcripts (the live suite
 * runs the same commands against the real server).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import batchCommand from '../../src/cli/commands/batch';
import renderCommand from '../../src/cli/commands/render';
import type { Command } from '../../src/cli/command';
import { readPngText } from '../../src/image';
import { buildGraph, type ComfyRenderParams } from '../../src/render/comfyui';
import { resolveCheckpoint } from '../../src/service/comfyBackend';
import { runCommand, type CliRun } from './helpers/cli';
import { startFakeComfy } from './helpers/comfyFake';
import { loadTranscript, type Transcript } from './helpers/comfyReplay';
import { freePortForTests } from './helpers/ports';

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-backend-'));
  temps.push(d);
  return d;
}

const cli = (command: Command, args: string[]): Promise<CliRun> => runCommand(command, args);

/** The recorded render with its POST /prompt body replaced by the graph of `params` (same answers). */
function asked(t: Transcript, params: ComfyRenderParams): Transcript {
  const graph = buildGraph(params).graph;
  return {
    meta: { ...t.meta, params },
    events: t.events.map((e) => (e.ev === 'http' && e.method === 'POST' && e.path === 'prompt' ? { ...e, body: { prompt: graph, client_id: 'x' } } : e)),
  };
}

const plain = loadTranscript('render-plain');
const p = plain.meta.params!;

test('render --backend comfyui: the server\'s only checkpoint, progress, our name and chunks, nothing of ComfyUI\'s numbering', async () => {
  const fake = await startFakeComfy({ checkpoints: ['tiny.safetensors'], transcripts: [plain] });
  try {
    const out = tmp();
    const args = ['--backend', 'comfyui', '--server', fake.url, '--prompt', p.prompt, '--negative', p.negativePrompt!, '--steps', String(p.steps), '--guidance', String(p.guidanceScale), '--seed', String(p.seed), '--size', `${p.width}x${p.height}`, '--scheduler', 'euler', '--out', out];
    const r = await cli(renderCommand, args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.problems, []);
    assert.deepEqual(fake.replays[0]!.mismatches, [], 'the backend sent exactly the recorded graph');
    const file = r.stdout.trim();
    assert.equal(path.basename(file), 'a-red-cube-to-the-left-of-a-blue-ball-42.png', 'our output name, never ComfyUI_temp_…');
    assert.deepEqual(fs.readdirSync(out), [path.basename(file)], 'nothing else written');
    assert.match(r.stderr, new RegExp(`checkpoint tiny\\.safetensors on ComfyUI at ${fake.url.replace(/\./g, '\\.')}, 64x64, 2 steps, seed 42`));
    assert.match(r.stderr, /step 2\/2/);
    const text = readPngText(fs.readFileSync(file));
    assert.equal(text.backend, 'comfyui');
    assert.equal(text.server, fake.url);
    assert.equal(text.checkpoint, 'tiny.safetensors');
    assert.equal(text.prompt, p.prompt);
    assert.equal(text.seed, '42');
    assert.equal(text.prompt_id, undefined);
  } finally {
    await fake.close();
  }
});

test('render --backend comfyui: a checkpoint to choose, or one the server lacks, is one line listing what it has', async () => {
  const fake = await startFakeComfy({ checkpoints: ['a.safetensors', 'b.ckpt'], transcripts: [] });
  try {
    const base = ['--backend', 'comfyui', '--server', fake.url, '--prompt', 'a cat', '--out', tmp()];
    const choose = await cli(renderCommand, base);
    assert.equal(choose.code, 2);
    assert.match(choose.stderr, /has 2 checkpoints; choose one \(--checkpoint NAME or sprightLens\.render\.comfyui\.checkpoint\): "a\.safetensors", "b\.ckpt"\n$/);
    const missing = await cli(renderCommand, [...base, '--checkpoint', 'spright.safetensors']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /has no checkpoint "spright\.safetensors"; it has "a\.safetensors", "b\.ckpt"\n$/);
    assert.equal(fake.replays.length, 0, 'nothing was queued');
  } finally {
    await fake.close();
  }
});

test('only loopback servers unless --allow-remote-server', async () => {
  const fake = await startFakeComfy({ checkpoints: ['a.safetensors', 'b.ckpt'], transcripts: [] });
  try {
    // 0.0.0.0 reaches this machine on Linux but is not a loopback address: the rule refuses it.
    const remote = `http://0.0.0.0:${fake.port}`;
    const base = ['--backend', 'comfyui', '--server', remote, '--prompt', 'a cat', '--out', tmp()];
    const refused = await cli(renderCommand, base);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /ComfyUI server http:\/\/0\.0\.0\.0:\d+ is not on this machine: only loopback servers .* unless remote servers are explicitly allowed/);
    const allowed = await cli(renderCommand, [...base, '--allow-remote-server']);
    assert.equal(allowed.code, 2);
    assert.match(allowed.stderr, /has 2 checkpoints; choose one/, 'with the flag the server was asked');
    const closed = await freePortForTests();
    const gone = await cli(renderCommand, ['--backend', 'comfyui', '--server', `http://127.0.0.1:${closed}`, '--prompt', 'a cat', '--out', tmp()]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /cannot reach ComfyUI at http:\/\/127\.0\.0\.1:\d+ \(connection refused\): start ComfyUI there/);
  } finally {
    await fake.close();
  }
});

test('backend flags: --model belongs to onnx, --server to comfyui', async () => {
  const model = await cli(renderCommand, ['--backend', 'comfyui', '--model', 'm', '--prompt', 'a', '--out', tmp()]);
  assert.equal(model.code, 2);
  assert.match(model.stderr, /--model is for the onnx backend; with --backend comfyui name the server's checkpoint with --checkpoint NAME/);
  const server = await cli(renderCommand, ['--model', 'm', '--server', 'http://127.0.0.1:8188', '--prompt', 'a', '--out', tmp()]);
  assert.equal(server.code, 2);
  assert.match(server.stderr, /--server is for --backend comfyui/);
  const other = await cli(batchCommand, ['--backend', 'a1111', '--prompts', 'x', '--out', tmp()]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /--backend must be one of onnx, comfyui, got 'a1111'/);
});

test('batch --backend comfyui renders through the same service, and a second run renders nothing', async () => {
  // The batch renders without a negative prompt: the recorded render, asked for with that graph.
  const params: ComfyRenderParams = { ...p, negativePrompt: '', sampler: 'euler', scheduler: 'normal' };
  const fake = await startFakeComfy({ checkpoints: ['tiny.safetensors'], transcripts: [asked(plain, params)] });
  try {
    const dir = tmp();
    const prompts = path.join(dir, 'prompts.txt');
    fs.writeFileSync(prompts, `${p.prompt}\n`);
    const out = path.join(dir, 'out');
    const args = ['--backend', 'comfyui', '--server', fake.url, '--prompts', prompts, '--out', out, '--images-per-prompt', '1', '--seed', '42', '--steps', '2', '--guidance', '7', '--size', '64x64', '--scheduler', 'euler'];
    const first = await cli(batchCommand, args);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(fake.problems, []);
    assert.deepEqual(fake.replays[0]!.mismatches, []);
    assert.match(first.stdout, /^1 rendered, 0 already done, 1 in all/);
    const text = readPngText(fs.readFileSync(path.join(out, '1_0.png')));
    assert.equal(text.backend, 'comfyui');
    const manifest = fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').trim().split('\n');
    assert.equal(manifest.length, 1);
    const second = await cli(batchCommand, args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^0 rendered, 1 already done, 1 in all/);
    assert.equal(fake.replays.length, 1, 'resume asked ComfyUI for nothing');
  } finally {
    await fake.close();
  }
});

test('resolveCheckpoint: the only one, the named one, or a line saying what there is', () => {
  assert.deepEqual(resolveCheckpoint('S', '', ['a']), { ok: true, name: 'a' });
  assert.deepEqual(resolveCheckpoint('S', ' b ', ['a', 'b']), { ok: true, name: 'b' });
  const none = resolveCheckpoint('S', '', []);
  assert.ok(!none.ok && /lists no checkpoints: put one in its models\/checkpoints folder/.test(none.problem));
  const many = resolveCheckpoint('S', 'z', Array.from({ length: 10 }, (_, i) => `c${i}`));
  assert.ok(!many.ok && /"c7" and 2 more$/.test(many.problem));
});
