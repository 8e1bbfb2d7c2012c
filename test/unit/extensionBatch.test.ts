import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBatch, summarize } from '../../src/batch';
import type { BatchOptions, ManifestRecord } from '../../src/batch';
import { batchFolderName, batchTotal, DESCRIPTOR, findPromptFiles, findResumable, finishedCount, promptsFromSources, readDescriptor, sourceKey } from '../../src/batch';
import type { BatchDescriptor } from '../../src/batch';
import { batchItemImage, BatchRunModel, formatEta, itemId, progressText, relationStatus, summaryText } from '../../src/view/batchView';
import { parseToWebview } from '../../media/validate';
import { reduce, initialModel } from '../../media/model';
import type { PanelState } from '../../src/protocol/messages';
import { batchCommands } from '../../src/extension/batch/commands';
import { repoRoot } from './helpers/paths';
import { fakeDeps, SIZE } from '../fixtures/evaluate/batchFakes';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'spright-extbatch-'));
}

const SET = '# spatial set\na cat to the left of a dog\n\na cup above a book\na bird below a lamp # trailing comment\n';

test('findPromptFiles: *.prompt/*.prompts recursively, sorted, hidden and dependency folders skipped', async () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'b', 'deep'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.hidden'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  for (const f of ['z.prompts', 'a.prompt', 'b/deep/x.PROMPTS', 'b/notes.txt', '.hidden/h.prompts', 'node_modules/n.prompts', 'b/y.prompt.bak']) {
    fs.writeFileSync(path.join(dir, f), 'a cat\n');
  }
  const found = (await findPromptFiles(dir)).map((f) => path.relative(dir, f).split(path.sep).join('/'));
  assert.deepEqual(found, ['a.prompt', 'b/deep/x.PROMPTS', 'z.prompts']);
});

test('promptsFromSources: line ids for one file, comments and blanks skipped, selection keeps only its lines', () => {
  const one = promptsFromSources([{ file: '/w/set.prompts', label: 'set.prompts', text: SET }]);
  assert.deepEqual(
    one.map((p) => [p.id, p.text, p.source]),
    [
      ['2', 'a cat to the left of a dog', 'set.prompts:2'],
      ['4', 'a cup above a book', 'set.prompts:4'],
      ['5', 'a bird below a lamp', 'set.prompts:5'],
    ],
  );
  // The evaluation intent comes from the parser: two objects and one relation each.
  assert.deepEqual(
    one[0].evalPrompt.objects.map((o) => o.noun),
    ['cat', 'dog'],
  );
  assert.equal(one[0].evalPrompt.relations[0]?.relation, 'left_of');
  assert.equal(one[0].evalPrompt.id, '2');
  const sel = promptsFromSources([{ file: '/w/set.prompts', label: 'set.prompts', text: SET, lines: { start: 3, end: 4 } }]);
  assert.deepEqual(
    sel.map((p) => p.id),
    ['4'],
  );
});

test('promptsFromSources: several files get stem prefixes; clashing stems fall back to the path; ids stay file-name safe', () => {
  const two = promptsFromSources([
    { file: '/w/a.prompts', label: 'a.prompts', text: 'a cat left of a dog\n' },
    { file: '/w/b.prompt', label: 'b.prompt', text: '\na cup above a book\n' },
  ]);
  assert.deepEqual(
    two.map((p) => p.id),
    ['a-1', 'b-2'],
  );
  const clash = promptsFromSources([
    { file: '/w/x/set.prompts', label: 'x/set.prompts', text: 'a cat left of a dog\n' },
    { file: '/w/y z/set.prompts', label: 'y z/set.prompts', text: 'a cup above a book\n' },
  ]);
  assert.deepEqual(
    clash.map((p) => p.id),
    ['x_set-1', 'y_z_set-1'],
  );
  for (const p of clash) assert.match(p.id, /^[A-Za-z0-9_.-]+$/);
});

test('promptsFromSources: a JSONL source without a prompt field is a clear PromptFileError', () => {
  assert.throws(
    () => promptsFromSources([{ file: '/w/set.jsonl', label: 'set.jsonl', text: '{"prompt":"a cat"}\n{"caption":"x"}\n' }]),
    (err: Error) => err.name === 'PromptFileError' && /set\.jsonl:2/.test(err.message) && /"prompt"/.test(err.message),
  );
});

test('sourceKey depends on the files and selection, not their order; batchFolderName sorts by time', () => {
  const a = sourceKey([{ file: '/w/a.prompts' }, { file: '/w/b.prompts' }]);
  assert.equal(a, sourceKey([{ file: '/w/b.prompts' }, { file: '/w/a.prompts' }]));
  assert.notEqual(a, sourceKey([{ file: '/w/a.prompts' }]));
  assert.notEqual(sourceKey([{ file: '/w/a.prompts' }]), sourceKey([{ file: '/w/a.prompts', lines: { start: 1, end: 3 } }]));
  const early = batchFolderName(new Date(2026, 0, 2, 3, 4, 5));
  assert.equal(early, 'batch-20260102-030405');
  assert.ok(early < batchFolderName(new Date(2026, 10, 27, 22, 15, 30)));
});

test('progressText and formatEta: count, ETA, stopping and report phases', () => {
  assert.equal(progressText(12, 40, 180_000), '12/40 images · about 3 min left');
  assert.equal(progressText(0, 40, null), '0/40 images · estimating time left');
  assert.equal(progressText(3, 40, 5_000, true), '3/40 images · stopping after the current image');
  assert.equal(progressText(40, 40, 0), '40/40 images · writing the report');
  assert.equal(formatEta(400), 'about 1 s left');
  assert.equal(formatEta(44_000), 'about 44 s left');
  assert.equal(formatEta(65 * 60_000), 'about 1 h 5 min left');
});

function relation(over: Partial<ManifestRecord['relations'][number]>): ManifestRecord['relations'][number] {
  return { subject: 'obj_1', relation: 'left_of', object: 'obj_2', status: 'satisfied', visor: true, t2iCompbench: 1, geneval: true, ...over };
}

test('relationStatus: the chosen rule decides; missing objects are unknown, unscored relations unsupported', () => {
  const mixed = relation({ status: 'violated', visor: true, t2iCompbench: 0.1, geneval: false });
  assert.equal(relationStatus(mixed, 'visor'), 'satisfied');
  assert.equal(relationStatus(mixed, 't2i-compbench'), 'violated');
  assert.equal(relationStatus(mixed, 'geneval'), 'violated');
  assert.equal(relationStatus(relation({ t2iCompbench: 0.5 }), 't2i-compbench'), 'satisfied');
  assert.equal(relationStatus(relation({ geneval: null }), 'geneval'), 'unsupported');
  assert.equal(relationStatus(relation({ status: 'unknown', visor: null }), 'visor'), 'unknown');
  assert.equal(relationStatus(relation({ status: 'unscored', visor: null, t2iCompbench: null, geneval: null }), 't2i-compbench'), 'unsupported');
});

function options(outDir: string, over: Partial<BatchOptions> = {}): BatchOptions {
  return {
    prompts: promptsFromSources([{ file: '/w/set.prompts', label: 'set.prompts', text: 'a dog to the left of a cat\na cup to the left of a book\n' }]),
    outDir,
    imagesPerPrompt: 3,
    seed: 7,
    rewrite: 'both',
    render: { model: 'fake', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim', modelId: 'fake-model' },
      detection: { detector: 'fake', threshold: 0 },
    ...over,
  };
}

function writeDescriptor(dir: string, opts: BatchOptions, key: string): BatchDescriptor {
  const { outDir: _outDir, ...rest } = opts;
  const d: BatchDescriptor = { version: 1, sourceKey: key, title: 'set.prompts', startedAt: new Date().toISOString(), options: rest, total: batchTotal(opts) };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, DESCRIPTOR), JSON.stringify(d));
  return d;
}

test('resume flow: a cancelled batch is found as unfinished for its source, resumed from its descriptor, then no longer offered', async () => {
  const root = tmp();
  const key = sourceKey([{ file: '/w/set.prompts' }]);
  const dir = path.join(root, 'batch-20260101-000000');
  const opts = options(dir);
  writeDescriptor(dir, opts, key);
  // A newer finished batch of another source must not be picked.
  writeDescriptor(path.join(root, 'batch-20260102-000000'), options(path.join(root, 'x')), sourceKey([{ file: '/w/other.prompts' }]));
  assert.equal(batchTotal(opts), 12);

  const ac = new AbortController();
  const first = fakeDeps();
  let images = 0;
  const r1 = await runBatch(opts, first, { onImage: () => ++images === 5 && ac.abort() }, ac.signal);
  assert.equal(r1.cancelled, true);
  assert.equal(r1.rendered, 5);
  assert.equal(await finishedCount(dir), 5);

  const found = await findResumable(root, key);
  assert.ok(found, 'the cancelled batch is offered for resume');
  assert.equal(found.dir, dir);
  assert.equal(found.done, 5);
  assert.equal(found.descriptor.total, 12);
  assert.equal(await findResumable(root, sourceKey([{ file: '/w/elsewhere.prompts' }])), undefined);

  // Resume with the stored options (as the extension does), not with whatever the settings are now.
  const stored = await readDescriptor(dir);
  assert.ok(stored);
  const second = fakeDeps();
  const r2 = await runBatch({ ...stored.options, outDir: dir }, second);
  assert.equal(r2.skipped, 5);
  assert.equal(r2.rendered, 7);
  // Never rendered twice: the two runs together made each image exactly once.
  const all = [...first.renders, ...second.renders];
  assert.equal(new Set(all).size, 12);
  assert.equal(all.length, 12);
  assert.equal(await findResumable(root, key), undefined);
});

test('readDescriptor rejects foreign or broken files', async () => {
  const dir = tmp();
  assert.equal(await readDescriptor(dir), undefined);
  fs.writeFileSync(path.join(dir, DESCRIPTOR), '{"version": 2}');
  assert.equal(await readDescriptor(dir), undefined);
  fs.writeFileSync(path.join(dir, DESCRIPTOR), '{not json');
  assert.equal(await readDescriptor(dir), undefined);
});

test('summaryText: VISOR cond/uncond, T2I and GenEval per variant from a real batch summary', async () => {
  const dir = tmp();
  const res = await runBatch(options(dir, { imagesPerPrompt: 2 }), fakeDeps());
  const summary = summarize(res.records);
  const text = summaryText(summary);
  // Fakes: the rewrite is always right, the original only for even k (half the images).
  const orig = summary.variants.original!;
  const rew = summary.variants.rewrite!;
  assert.equal(rew.visor.uncond, 100);
  assert.equal(orig.visor.uncond, 50);
  assert.equal(
    text,
    `as written: VISOR cond ${orig.visor.cond!.toFixed(1)}% · uncond 50.0% · T2I ${orig.t2i_compbench.score!.toFixed(2)} · GenEval ${(orig.geneval.score! * 100).toFixed(1)}% | rewrite: VISOR cond 100.0% · uncond 100.0% · T2I ${rew.t2i_compbench.score!.toFixed(2)} · GenEval 100.0%`,
  );
  const single = summaryText(summarize(res.records.filter((r) => r.variant === 'original')));
  assert.ok(single.startsWith('VISOR cond'), single);
  assert.equal(summaryText(summarize([])), 'no images were scored');
});

test('BatchRunModel: pages in finish order, follows the last page until the user pages back, replaces repeats', async () => {
  const dir = tmp();
  const res = await runBatch(options(dir, { imagesPerPrompt: 5 }), fakeDeps());
  assert.equal(res.records.length, 20);
  const model = new BatchRunModel('run-1', dir, 'set.prompts', 20, 8);
  const src = (f: string): string => `webview:${path.relative(dir, f)}`;
  for (const r of res.records.slice(0, 9)) model.add(r);
  let v = model.view('visor', src);
  assert.equal(v.pageCount, 2);
  assert.equal(v.page, 1, 'follows the newest page');
  assert.equal(v.items.length, 1);
  assert.equal(v.done, 9);
  assert.equal(v.state, 'running');

  model.setPage(0);
  for (const r of res.records.slice(9)) model.add(r);
  v = model.view('visor', src);
  assert.equal(v.page, 0, 'stays where the user paged');
  assert.equal(v.pageCount, 3);
  assert.deepEqual(
    v.items.map((i) => i.id),
    res.records.slice(0, 8).map((r) => itemId(r)),
  );
  const first = v.items[0];
  assert.equal(first.src, `webview:${res.records[0].file}`);
  assert.equal(first.text, res.records[0].rewrite ?? res.records[0].prompt);
  // Original images with odd k put the objects the wrong way round in the fakes.
  for (const item of v.items) {
    const want = item.variant === 'rewrite' || item.k % 2 === 0 ? 'satisfied' : 'violated';
    assert.deepEqual(item.statuses, [want], item.id);
  }
  model.setPage(99);
  assert.equal(model.view('visor', src).page, 2);
  model.add(res.records[19]);
  assert.equal(model.done, 20, 'a repeat replaces, not duplicates');
  assert.equal(model.record(itemId(res.records[3]))?.file, res.records[3].file);
  model.state = 'finished';
  assert.equal(model.view('geneval', src).etaMs, null);
});

test('the webview accepts the batch messages: batchPage and an opened item with its detections judged on the prompt', async () => {
  const dir = tmp();
  const res = await runBatch(options(dir, { imagesPerPrompt: 2 }), fakeDeps());
  const model = new BatchRunModel('run-7', dir, 'set.prompts', res.total);
  for (const r of res.records) model.add(r);
  model.state = 'finished';
  const page = { type: 'batchPage' as const, batch: model.view('t2i-compbench', (f) => `https://webview/${path.basename(f)}`) };
  // Round-trip through JSON, as postMessage does, then the webview's own run-time validation.
  const parsed = parseToWebview(JSON.parse(JSON.stringify(page)));
  assert.ok(parsed, 'batchPage rejected by media/validate');
  assert.equal(parsed.type, 'batchPage');

  const wrong = res.records.find((r) => r.variant === 'original' && r.k === 1)!;
  const image = batchItemImage({ record: wrong, runId: 'run-7', outDir: dir, src: 'https://webview/x.png', fileUri: 'file:///x.png', rule: 'visor', labelFor: (n) => n });
  assert.equal(image.origin, 'batch');
  assert.equal(image.key, `run-7/${itemId(wrong)}`);
  assert.equal(image.promptText, wrong.prompt);
  assert.ok(image.details.some(([k, v]) => k === 'seed' && v === String(wrong.seed)));
  assert.equal(image.detection.status, 'done');
  if (image.detection.status === 'done') {
    // The fake puts the objects the wrong way round for odd k: the relation is violated, boxes tagged.
    assert.deepEqual(
      image.detection.relations.map((r) => r.status),
      ['violated'],
    );
    assert.equal(image.detection.detections.length, 2);
    assert.ok(image.detection.detections.every((d) => d.objectId !== null));
  }
  const rewritten = batchItemImage({ record: res.records.find((r) => r.variant === 'rewrite')!, runId: 'run-7', outDir: dir, src: 's', fileUri: 'f', rule: 'visor', labelFor: (n) => n });
  assert.match(rewritten.promptText, /first object is on the left side/);
  const shown = parseToWebview(JSON.parse(JSON.stringify({ type: 'showImage', image })));
  assert.ok(shown, 'showImage rejected by media/validate');
  // The webview's reducer takes the page and the image into its state.
  const state: PanelState = { rule: 'visor', view: { showBoxes: true, showLabels: true }, prompt: null, image: null, render: null, setup: { configured: true, modelPath: 'm', problem: null, ignoredUntrusted: false }, batch: null, notice: null, regionGuide: false };
  const m0 = reduce(initialModel(), { type: 'init', state })!;
  const m1 = reduce(m0, parsed)!;
  assert.equal(m1.state?.batch?.items.length, res.total);
  const m2 = reduce(m1, shown);
  assert.equal(m2?.state?.image?.key, image.key);
  assert.equal(m2?.state?.batch?.runId, 'run-7');
});

test('sprightLens.renderAll: menus pass (uri, uris[]) or (uri, editor context); tests pass options second or third', async () => {
  const calls: unknown[][] = [];
  const fake = { renderAll: async (...args: unknown[]) => (calls.push(args), undefined) };
  const [cmd] = batchCommands(fake as unknown as Parameters<typeof batchCommands>[0]);
  assert.ok(cmd);
  assert.equal(cmd.id, 'sprightLens.renderAll');
  const uri = { path: '/w/set.prompts' };
  await cmd.execute(uri, { outDir: '/out' });
  await cmd.execute(uri, [uri, uri]);
  await cmd.execute(uri, { groupId: 1 });
  await cmd.execute(uri, [uri], { resume: true });
  await cmd.execute();
  assert.deepEqual(calls, [
    [uri, undefined, { outDir: '/out' }],
    [uri, [uri, uri], {}],
    [uri, { groupId: 1 }, {}],
    [uri, [uri], { resume: true }],
    [undefined, undefined, {}],
  ]);
});

test('package.json contributes sprightLens.renderAll to the palette, explorer (folders and prompt files) and prompt editors', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { commands: Array<{ command: string }>; menus: Record<string, Array<{ command: string; when?: string }>>; configuration: { properties: Record<string, unknown> } };
  };
  assert.ok(pkg.contributes.commands.some((c) => c.command === 'sprightLens.renderAll'));
  const when = (menu: string): string => pkg.contributes.menus[menu]?.find((m) => m.command === 'sprightLens.renderAll')?.when ?? '';
  assert.match(when('explorer/context'), /explorerResourceIsFolder/);
  assert.match(when('explorer/context'), /\.prompts/);
  assert.match(when('editor/title'), /spatial-prompt/);
  assert.match(when('commandPalette'), /spatial-prompt/);
  for (const key of ['sprightLens.batch.imagesPerPrompt', 'sprightLens.batch.rewrite']) assert.ok(key in pkg.contributes.configuration.properties, key);
});
