// The preview panel: opens on a prompt, gets its `init` with the planned layout, renders with the
// tiny fixture model into the output folder and shows the image with detection state; model
// settings honour workspace trust.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { pathSettingForTrust } from '../../../src/extension/config';
import { startFakeComfy } from '../../unit/helpers/comfyFake';
import { loadTranscript } from '../../unit/helpers/comfyReplay';
import { EXTENSION_ID, openPrompt, panelState, setSetting, sprightApi, waitFor, waitForPanel, workspaceFile } from './helpers';

const execFile = promisify(execFileCb);

function pngs(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.png')) : [];
}

suite('preview panel', () => {
  const renders = path.join(workspaceFile('.').fsPath, 'spright-renders');

  test('opens on a prompt, receives init and shows its planned layout', async () => {
    const api = await sprightApi();
    const editor = await openPrompt('clean.prompts');
    await vscode.commands.executeCommand('sprightLens.previewLayout', editor.document.uri, 0);
    const state = await waitFor(async () => (await panelState())?.prompt ?? undefined, 'the panel to receive init with a prompt');
    assert.equal(api.panel.current()?.viewType, 'sprightLens.preview');
    assert.equal(state.text, 'a red apple to the left of a green bowl');
    assert.equal(state.line, 0);
    assert.ok(state.layout, `no layout: ${state.layoutError}`);
    const nouns = state.layout.boxes.map((b) => b.noun).sort();
    assert.deepEqual(nouns, ['apple', 'bowl']);
    const apple = state.layout.boxes.find((b) => b.noun === 'apple');
    const bowl = state.layout.boxes.find((b) => b.noun === 'bowl');
    assert.ok(apple && bowl);
    // The planned layout honours the prompt: the apple's centre is left of the bowl's.
    assert.ok(apple.x + apple.w / 2 < bowl.x + bowl.w / 2, JSON.stringify(state.layout.boxes));
    assert.deepEqual(
      state.relations.map((r) => [r.relation, r.status]),
      [['left_of', 'satisfied']],
    );

    // Pointing it at the other line re-plans (the panel follows the prompt it is given).
    await vscode.commands.executeCommand('sprightLens.previewLayout', editor.document.uri, 1);
    const second = await waitFor(async () => ((await panelState())?.prompt?.line === 1 ? (await panelState())?.prompt : undefined), 'the panel to move to line 2');
    assert.deepEqual(second.layout?.boxes.map((b) => b.noun).sort(), ['lamp', 'table']);
  });

  test('without a model, render preview explains the setup instead of failing', async () => {
    const editor = await openPrompt('clean.prompts');
    await setSetting('render.modelPath', undefined);
    await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
    const state = await waitForPanel(editor.document.uri, 0, (s) => (s.setup.configured === false ? s : undefined), 'setup state with no model');
    assert.equal(state.image, null);
    assert.equal(state.render, null);
    assert.equal(pngs(renders).length, 0);
  });

  test('render preview with the tiny fixture model writes a PNG and the panel gets the image with detection state', async function () {
    const model = process.env.SPRIGHT_TEST_MODEL;
    if (!model) {
      // The runner copies test/fixtures/sd-tiny when present (test/integration/workspace.mjs).
      this.skip();
    }
    const reference = JSON.parse(fs.readFileSync(path.join(model, 'reference.json'), 'utf8')) as { width: number; height: number };
    const editor = await openPrompt('clean.prompts');
    const before = pngs(renders);
    try {
      await setSetting('render.modelPath', model);
      await setSetting('render.steps', 2);
      await setSetting('render.width', reference.width);
      await setSetting('render.height', reference.height);
      await setSetting('render.seed', 7);
      await setSetting('render.provider', 'cpu');
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);

      const written = pngs(renders).filter((f) => !before.includes(f));
      assert.equal(written.length, 1, `expected one new PNG in ${renders}, found ${JSON.stringify(written)}`);
      const file = path.join(renders, written[0] ?? '');
      const bytes = fs.readFileSync(file);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'not a PNG');
      assert.equal(bytes.readUInt32BE(16), reference.width);
      assert.equal(bytes.readUInt32BE(20), reference.height);
      assert.match(written[0] ?? '', /-7\.png$/, 'the seed is in the file name');

      const state = await waitForPanel(
        editor.document.uri,
        0,
        (s) => (s.image && s.image.detection.status !== 'pending' ? s : undefined),
        'the rendered image with finished detection in the panel state',
        60_000,
      );
      const image = state.image;
      assert.ok(image);
      assert.equal(image.origin, 'render');
      assert.equal(image.fileName, written[0]);
      assert.equal(vscode.Uri.parse(image.fileUri).fsPath, file);
      assert.equal(image.width, reference.width);
      assert.ok(image.src.length > 0 && !image.src.startsWith('file:'), `the image must load through a webview URI, got ${image.src}`);
      assert.deepEqual(
        image.details.filter(([k]) => k === 'seed' || k === 'steps'),
        [['seed', '7'], ['steps', '2']],
      );
      // Detection runs on a random-weight image: what it finds does not matter, that it answers does.
      // NanoDet ships in models/ (npm run fetch-models in a checkout; inside the .vsix).
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      const nanodet = ext && fs.existsSync(path.join(ext.extensionPath, 'models', 'nanodet', 'nanodet.json'));
      if (nanodet) {
        assert.equal(image.detection.status, 'done', image.detection.status === 'error' ? image.detection.message : '');
        assert.ok(Array.isArray(image.detection.detections));
        assert.match(image.detection.detector, /NanoDet/i);
        assert.equal(image.detection.relations.length, 1);
        assert.equal(image.detection.relations[0]?.relation, 'left_of');
      } else {
        assert.equal(image.detection.status, 'error', 'detection cannot succeed without models/nanodet');
        console.log(`    models/nanodet missing (run npm run fetch-models); detection error: ${image.detection.message}`);
      }
    } finally {
      for (const key of ['render.modelPath', 'render.steps', 'render.width', 'render.height', 'render.seed', 'render.provider']) await setSetting(key, undefined);
    }
  });

  test('the CLI renders through the same inference service: same parameters, byte-identical PNG', async function () {
    const model = process.env.SPRIGHT_TEST_MODEL;
    if (!model) this.skip();
    const reference = JSON.parse(fs.readFileSync(path.join(model, 'reference.json'), 'utf8')) as { width: number; height: number };
    const editor = await openPrompt('clean.prompts');
    const text = editor.document.lineAt(0).text;
    const before = pngs(renders);
    const settings: Array<[string, unknown]> = [
      ['render.modelPath', model],
      ['render.steps', 2],
      ['render.width', reference.width],
      ['render.height', reference.height],
      ['render.seed', 11],
      ['render.provider', 'cpu'],
      ['render.scheduler', 'euler'],
      ['render.guidance', 6],
      ['render.negativePrompt', 'blurry'],
    ];
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-cli-render-'));
    try {
      for (const [key, value] of settings) await setSetting(key, value);
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      const panelFile = pngs(renders).filter((f) => !before.includes(f))[0];
      assert.ok(panelFile, 'the panel render wrote no PNG');

      // The packaged CLI (dist/cli.js of this very extension), run as a user would run it.
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext);
      const args = ['render', '--model', model, '--prompt', text, '--out', out, '--steps', '2', '--size', `${reference.width}x${reference.height}`, '--seed', '11', '--provider', 'cpu', '--scheduler', 'euler', '--guidance', '6', '--negative', 'blurry'];
      const { stdout } = await execFile(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 120_000 });
      const cliFile = stdout.trim();
      assert.equal(path.basename(cliFile), panelFile, 'the same output name');
      assert.deepEqual(fs.readFileSync(cliFile), fs.readFileSync(path.join(renders, panelFile)), 'the CLI and the panel wrote different PNGs for the same parameters');
    } finally {
      for (const [key] of settings) await setSetting(key, undefined);
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('model paths honour workspace trust (restricted settings; workspace value ignored when untrusted)', async () => {
    // What VS Code enforces itself in restricted mode: workspace values of these settings are dropped.
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      capabilities?: { untrustedWorkspaces?: { supported?: unknown; restrictedConfigurations?: string[] } };
    };
    const untrusted = pkg.capabilities?.untrustedWorkspaces;
    assert.equal(untrusted?.supported, 'limited');
    assert.deepEqual([...(untrusted?.restrictedConfigurations ?? [])].sort(), [
      'sprightLens.batch.queue',
      'sprightLens.detect.owlvitPath',
      'sprightLens.render.backend',
      'sprightLens.render.comfyui.allowRemoteServer',
      'sprightLens.render.comfyui.server',
      'sprightLens.render.modelPath',
    ]);

    // This window runs with --disable-workspace-trust, so it is trusted; the extension's own rule is
    // run on the real configuration with trust passed in, and the trusted path end to end.
    assert.equal(vscode.workspace.isTrusted, true);
    const bogus = workspaceFile('not-a-model').fsPath;
    const editor = await openPrompt('clean.prompts');
    try {
      await setSetting('render.modelPath', '/user/chosen/model');
      await setSetting('render.modelPath', bogus, vscode.ConfigurationTarget.Workspace);
      await setSetting('detect.owlvitPath', bogus, vscode.ConfigurationTarget.Workspace);
      const cfg = vscode.workspace.getConfiguration('sprightLens', editor.document.uri);
      assert.equal(pathSettingForTrust(cfg, 'render.modelPath', true), bogus);
      assert.equal(pathSettingForTrust(cfg, 'render.modelPath', false), '/user/chosen/model');
      assert.equal(pathSettingForTrust(cfg, 'detect.owlvitPath', false), '');

      // Trusted: the workspace value is the one the extension tries to load, and it says why it cannot.
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      const state = await waitForPanel(editor.document.uri, 0, (s) => (s.setup.problem ? s : undefined), 'the setup problem for the workspace model path');
      assert.equal(state.setup.modelPath, bogus);
      assert.equal(state.setup.ignoredUntrusted, false);
      assert.match(state.setup.problem ?? '', /not-a-model/);
    } finally {
      await setSetting('render.modelPath', undefined, vscode.ConfigurationTarget.Workspace);
      await setSetting('detect.owlvitPath', undefined, vscode.ConfigurationTarget.Workspace);
      await setSetting('render.modelPath', undefined);
    }
  });

  test('backend comfyui: the panel checks the server; one off this machine is refused without the user-level opt-in', async () => {
    const editor = await openPrompt('clean.prompts');
    const problemFor = async (server: string): Promise<string> => {
      await setSetting('render.comfyui.server', server);
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      return waitForPanel(editor.document.uri, 0, (s) => (s.setup.problem?.includes(server.replace(/\/$/, '')) ? s.setup.problem : undefined), `the panel's ComfyUI problem for ${server}`);
    };
    try {
      await setSetting('render.backend', 'comfyui');
      // Nothing listens on port 47 of this machine (a privileged port fetch does not refuse).
      assert.match(await problemFor('http://127.0.0.1:47'), /cannot reach ComfyUI at http:\/\/127\.0\.0\.1:47 .*start ComfyUI there/);
      assert.match(await problemFor('http://192.0.2.7:8188'), /is not on this machine: only loopback servers/);
    } finally {
      await setSetting('render.backend', undefined);
      await setSetting('render.comfyui.server', undefined);
    }
  });

  test('Select ComfyUI Checkpoint offers the server\'s list and sets the backend and checkpoint in user settings', async () => {
    const fake = await startFakeComfy({ checkpoints: ['a.safetensors', 'spright-t2i-sd2.safetensors'], transcripts: [] });
    const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sprightLens');
    try {
      await setSetting('render.comfyui.server', fake.url);
      assert.equal(await vscode.commands.executeCommand('sprightLens.selectComfyCheckpoint', 'not-there.ckpt'), undefined);
      assert.equal(cfg().inspect('render.backend')?.globalValue, undefined, 'nothing set for a name the server lacks');
      assert.equal(await vscode.commands.executeCommand('sprightLens.selectComfyCheckpoint', 'spright-t2i-sd2.safetensors'), 'spright-t2i-sd2.safetensors');
      assert.equal(cfg().inspect('render.backend')?.globalValue, 'comfyui');
      assert.equal(cfg().inspect('render.comfyui.checkpoint')?.globalValue, 'spright-t2i-sd2.safetensors');
    } finally {
      await setSetting('render.backend', undefined);
      await setSetting('render.comfyui.checkpoint', undefined);
      await setSetting('render.comfyui.server', undefined);
      await fake.close();
    }
  });

  test('render preview through ComfyUI (a stand-in replaying a real render): the PNG under our name, the panel names the server', async () => {
    const recorded = loadTranscript('render-plain');
    const p = recorded.meta.params!;
    const fake = await startFakeComfy({ checkpoints: ['tiny.safetensors'], transcripts: [recorded] });
    const promptFile = workspaceFile('comfyui.prompts');
    fs.writeFileSync(promptFile.fsPath, `${p.prompt}\n`);
    const settings: Array<[string, unknown]> = [
      ['render.backend', 'comfyui'],
      ['render.comfyui.server', fake.url],
      ['render.steps', p.steps],
      ['render.guidance', p.guidanceScale],
      ['render.seed', p.seed],
      ['render.width', p.width],
      ['render.height', p.height],
      ['render.negativePrompt', p.negativePrompt],
      ['render.scheduler', 'euler'],
    ];
    const before = pngs(renders);
    try {
      for (const [k, v] of settings) await setSetting(k, v);
      const editor = await openPrompt('comfyui.prompts');
      await vscode.commands.executeCommand('sprightLens.renderPreview', editor.document.uri, 0);
      assert.deepEqual(fake.problems, []);
      assert.deepEqual(fake.replays[0]?.mismatches, [], 'the panel sent the recorded graph');
      const written = pngs(renders).filter((f) => !before.includes(f));
      assert.deepEqual(written, ['a-red-cube-to-the-left-of-a-blue-ball-42.png']);
      const state = await waitForPanel(editor.document.uri, 0, (s) => (s.image ? s : undefined), 'the ComfyUI render in the panel');
      assert.equal(state.image?.width, 64);
      assert.deepEqual(
        state.image?.details.filter(([k]) => k === 'provider'),
        [['provider', `ComfyUI at ${fake.url}`]],
      );
    } finally {
      for (const [k] of settings) await setSetting(k, undefined);
      for (const f of pngs(renders).filter((f) => !before.includes(f))) fs.rmSync(path.join(renders, f), { force: true });
      fs.rmSync(promptFile.fsPath, { force: true });
      await fake.close();
    }
  });
});
