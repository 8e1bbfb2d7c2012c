import { test } from 'node:test';
import { writeFileAtomic } from '../../src/io/atomic';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchError, nodeBatchFs, parseManifest, runBatch } from '../../src/batch';
import type { BatchFs, BatchOptions, BatchProgress } from '../../src/batch';
import { createImage, encodePng, resizeBilinear } from '../../src/image';
import { fakeDeps, prompt, SIZE } from '../fixtures/evaluate/batchFakes';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'spright-batch-'));
}

function options(outDir: string, over: Partial<BatchOptions> = {}): BatchOptions {
  return {
    prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book', 'a cup <b>left</b> of a "book" & <script>alert(1)</script>')],
    outDir,
    imagesPerPrompt: 2,
    seed: 42,
    rewrite: 'both',
    render: { model: 'fake', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim', modelId: 'fake-model' },
      detection: { detector: 'fake', threshold: 0 },
    ...over,
  };
}

function manifestLines(dir: string): ReturnType<typeof parseManifest> {
  return parseManifest(fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8'));
}

test('runBatch end to end with fakes: images, manifest, summary, report, A/B with the same seeds', async () => {
  const dir = tmp();
  const deps = fakeDeps();
  const progress: BatchProgress[] = [];
  const res = await runBatch(options(dir), deps, { onProgress: (p) => progress.push(p) });
  assert.equal(res.total, 8);
  assert.equal(res.rendered, 8);
  assert.equal(res.cancelled, false);
  for (const f of ['0_0.png', '0_1.png', '1_0.png', '1_1.png', 'rewrite/0_0.png', 'rewrite/1_1.png']) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  const { records, corrupted } = manifestLines(dir);
  assert.equal(corrupted.length, 0);
  assert.equal(records.length, 8);
  const rw = records.filter((r) => r.variant === 'rewrite');
  assert.deepEqual(rw.map((r) => r.seed).sort(), records.filter((r) => r.variant === 'original').map((r) => r.seed).sort());
  assert.match(rw[0].rewrite!, /left side/);
  assert.equal(records[0].relations[0].status, 'satisfied'); // k = 0 correct
  assert.equal(records[1].relations[0].status, 'violated'); // k = 1 wrong
  assert.equal(records[0].width, SIZE);
  // Original: half the images right; rewrite: all. Same prompts, same seeds.
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.variants.original.visor.uncond, 50);
  assert.equal(summary.variants.original.visor.visor_1, 100);
  assert.equal(summary.variants.original.visor.visor_2, 0);
  assert.equal(summary.variants.rewrite.visor.uncond, 100);
  assert.equal(summary.variants.rewrite.visor.visor_2, 100);
  const last = progress[progress.length - 1];
  assert.equal(last.done, 8);
  assert.ok(progress.some((p) => p.current?.step === 2 && p.current.steps === 2));
  assert.ok(progress.some((p) => p.etaMs !== null && p.etaMs > 0));
  // Report: self-contained, escaped prompt text.
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.ok(!html.includes('<script>alert(1)</script>'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('&quot;book&quot; &amp;'));
  assert.ok(!/(src|href)="https?:/.test(html), 'no network resources');
  // Thumbnails are small JPEGs; the full PNGs are linked, never inlined.
  assert.equal((html.match(/<image href="data:image\/jpeg;base64,/g) ?? []).length, 8);
  assert.equal((html.match(/data:image\/png/g) ?? []).length, 0);
  assert.match(html, /SPRIGHT rewrite/);
  assert.match(html, /VISOR-4/);
});

test('runBatch: stop after the current image, then resume renders each missing image exactly once', async () => {
  const dir = tmp();
  const deps = fakeDeps();
  const stop = new AbortController();
  let seen = 0;
  const first = await runBatch(options(dir), deps, { onImage: () => ++seen === 3 && stop.abort() }, stop.signal);
  assert.equal(first.cancelled, true);
  assert.equal(first.rendered, 3);
  assert.equal(manifestLines(dir).records.length, 3);
  assert.ok(fs.existsSync(path.join(dir, 'report.html')), 'a partial report is written');
  const second = await runBatch(options(dir), deps);
  assert.equal(second.skipped, 3);
  assert.equal(second.rendered, 5);
  assert.equal(new Set(deps.renders).size, deps.renders.length, `rendered twice: ${deps.renders.join(' ')}`);
  assert.equal(manifestLines(dir).records.length, 8);
  // A third run has nothing to do.
  const third = await runBatch(options(dir), deps);
  assert.equal(third.rendered, 0);
  assert.equal(deps.renders.length, 8);
});

test('runBatch: a corrupted manifest line is reported, ignored, and its image rendered again', async () => {
  const dir = tmp();
  await runBatch(options(dir, { rewrite: 'off' }), fakeDeps());
  const file = path.join(dir, 'manifest.jsonl');
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 4);
  // Line 2 garbled in the middle, last line cut mid-write.
  lines[1] = lines[1].slice(0, 30) + '#garbage';
  fs.writeFileSync(file, lines.slice(0, 3).join('\n') + '\n' + lines[3].slice(0, 50));
  const warnings: string[] = [];
  const deps = fakeDeps();
  const res = await runBatch(options(dir, { rewrite: 'off' }), deps, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(res.corruptedLines, [2, 4]);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /manifest\.jsonl:2: ignoring a corrupted manifest line/);
  assert.match(warnings[1], /manifest\.jsonl:4: .*truncated/);
  assert.deepEqual(deps.renders.sort(), ['original/0/1', 'original/1/1']);
  const after = manifestLines(dir);
  assert.equal(after.corrupted.length, 0);
  assert.equal(after.records.length, 4);
});

test('runBatch: a missing PNG behind a manifest line is rendered again', async () => {
  const dir = tmp();
  await runBatch(options(dir, { rewrite: 'off' }), fakeDeps());
  fs.rmSync(path.join(dir, '1_0.png'));
  const warnings: string[] = [];
  const deps = fakeDeps();
  await runBatch(options(dir, { rewrite: 'off' }), deps, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(deps.renders, ['original/1/0']);
  assert.match(warnings[0], /1_0\.png is missing or incomplete/);
  assert.equal(manifestLines(dir).records.length, 4);
});

test('runBatch: other options on resume are refused unless --force', async () => {
  const dir = tmp();
  await runBatch(options(dir, { rewrite: 'off' }), fakeDeps());
  const other = options(dir, { rewrite: 'off', seed: 7, render: { ...options(dir).render, steps: 30 } });
  await assert.rejects(runBatch(other, fakeDeps()), (e: Error) => {
    assert.ok(e instanceof BatchError);
    assert.match(e.message, /steps 2 -> 30/);
    assert.match(e.message, /seed 42 -> 7/);
    assert.match(e.message, /new --out folder, or --force/);
    return true;
  });
  const deps = fakeDeps();
  const forced = await runBatch({ ...other, force: true }, deps);
  assert.equal(forced.rendered, 4);
  const { records } = manifestLines(dir);
  assert.equal(records.length, 4);
  assert.ok(records.every((r) => r.parameters.steps === 30));
});

test('runBatch: a full disk or unwritable folder gives a clear error and keeps what was done', async () => {
  for (const code of ['ENOSPC', 'EACCES', 'EROFS']) {
    const dir = tmp();
    let appends = 0;
    // Tests run as root, where chmod does not stop writes: inject the failure instead.
    const failing: BatchFs = {
      ...nodeBatchFs,
      async appendFile(file, data) {
        if (++appends === 3) throw Object.assign(new Error(`${code}: simulated`), { code });
        await nodeBatchFs.appendFile(file, data);
      },
    };
    await assert.rejects(runBatch(options(dir, { rewrite: 'off' }), { ...fakeDeps(), fs: failing }), (e: Error) => {
      assert.ok(e instanceof BatchError, String(e));
      assert.ok(e.message.includes(dir), e.message);
      assert.match(e.message, code === 'ENOSPC' ? /no space left/ : new RegExp(`cannot write to .*\\(${code}\\)`));
      assert.match(e.message, /finished images are kept/);
      return true;
    });
    assert.equal(manifestLines(dir).records.length, 2);
    const deps = fakeDeps();
    const res = await runBatch(options(dir, { rewrite: 'off' }), deps);
    assert.equal(res.skipped, 2);
    assert.equal(res.rendered, 2);
  }
});

test('runBatch: bad options are refused before any work', async () => {
  const dir = tmp();
  await assert.rejects(runBatch(options(dir, { imagesPerPrompt: 0 }), fakeDeps()), /images per prompt must be an integer from 1 to 100, got 0/);
  await assert.rejects(runBatch(options(dir, { imagesPerPrompt: 1e6 }), fakeDeps()), /from 1 to 100/);
  const dup = options(dir, { prompts: [prompt('3', 'a', 'b'), prompt('3', 'c', 'd')] });
  await assert.rejects(runBatch(dup, fakeDeps()), /two prompts share the id 3/);
});

test('report: small JPEG thumbnails with the full PNGs linked; every relation type asked for has a row', async () => {
  const dir = tmp();
  const deps = fakeDeps();
  // Photograph-like 512 px renders: smooth colour fields with fine grain, which PNG keeps at
  // full cost (a thumbnail of such a render was 265 KB as PNG).
  deps.render = async (job, file) => {
    let x = job.k * 7919 + job.promptId.length + 1;
    const rnd = (): number => (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const coarse = createImage(16, 16);
    for (let i = 0; i < coarse.data.length; i++) coarse.data[i] = i % 4 === 3 ? 255 : rnd();
    const img = resizeBilinear(coarse, 512, 512);
    for (let i = 0; i < img.data.length; i++) if (i % 4 !== 3) img.data[i] = Math.min(255, img.data[i]! + (rnd() & 15));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, encodePng(img, { job: JSON.stringify({ text: job.text, variant: job.variant, k: job.k }) }));
    return { width: 512, height: 512 };
  };
  // The embedded detector's vocabulary (COCO) has chairs but no bookcases.
  const chair = prompt('4', 'chair', 'bookcase', 'a chair in front of a bookcase');
  chair.evalPrompt.relations = [{ subject: 'obj_1', relation: 'in_front_of', object: 'obj_2' }];
  const prompts = [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book'), prompt('2', 'car', 'bus'), chair];
  await runBatch(
    options(dir, {
      prompts,
      imagesPerPrompt: 4,
      rewrite: 'off',
      render: { ...options(dir).render, width: 512, height: 512 },
      detection: { detector: 'embedded', threshold: 0 },
    }),
    deps,
  );
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  const thumbs = html.match(/data:image\/jpeg;base64,[A-Za-z0-9+/=]+/g) ?? [];
  assert.equal(thumbs.length, 16);
  for (const t of thumbs) assert.ok(t.length < 30_000, `thumbnail of ${t.length} bytes`);
  assert.ok(html.length < 500_000, `report of ${html.length} bytes for 16 images`);
  assert.match(html, /<a href="0_0\.png">/);
  const relations = /<table id="relations">[^]*?<\/table>/.exec(html)![0];
  assert.match(relations, /<th scope="row">in_front_of<\/th><td colspan="5" class="unscored">not scored: an object outside the detector's vocabulary/);
  assert.match(relations, /<th scope="row">left_of<\/th>/);
});
