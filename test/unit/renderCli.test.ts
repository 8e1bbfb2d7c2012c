import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import renderCommand from '../../src/cli/commands/render';
import { decodePng, readPngText } from '../../src/image';
import { rewritePrompt } from '../../src/generator';
import { parsePrompt } from '../../src/parser';
import { runCommand, type CliRun } from './helpers/cli';
import * as zlib from 'node:zlib';
import { chooseCandidate, judgeCandidate, promptFromParsed } from '../../src/evaluate';
import { InProcessService } from '../../src/service/inProcess';
import { fixture } from './helpers/paths';
import { loadableCopy, tinyVariants } from './renderFixture';
import { regionCases, regionModelCopy } from './regionFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const skip = variant ? false : 'no test/fixtures/sd-tiny fixtures yet';
const regionSkip = variant === 'vpred-fp32' && regionCases().length ? false : 'no sd-tiny-regions fixtures';
const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'render-cli-'));
  temps.push(d);
  return d;
}

function cli(args: string[], cwd = process.cwd(), stdin?: string): Promise<CliRun> {
  return runCommand(renderCommand, args, { cwd, stdin });
}

test('render writes PNGs with metadata under deterministic names, prints the paths', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const out = tmp();
  const args = ['--model', model, '--prompt', 'a cat to the left of a dog', '--out', out, '--steps', '2', '--seed', '5', '--provider', 'cpu', '--scheduler', 'ddim'];
  const first = await cli(args);
  assert.equal(first.code, 0, first.stderr);
  const file1 = first.stdout.trim();
  assert.equal(path.basename(file1), 'a-cat-to-the-left-of-a-dog-5.png');
  const bytes1 = fs.readFileSync(file1);
  const meta = readPngText(bytes1);
  assert.equal(meta.prompt, 'a cat to the left of a dog');
  assert.equal(meta.seed, '5');
  assert.equal(meta.scheduler, 'ddim');
  assert.equal(meta.size, '64x64'); // the fixture UNet's sample size (8) x the VAE factor (8)
  assert.match(first.stderr, /step 2\/2/);
  // The same render again is the same file: no -2 copy for evaluate to count twice.
  const second = await cli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.trim(), file1);
  assert.deepEqual(fs.readFileSync(file1), bytes1);
  assert.deepEqual(fs.readdirSync(out), ['a-cat-to-the-left-of-a-dog-5.png']);
  // Other settings under the same name: the earlier render is kept and the new name says why.
  const third = await cli([...args.slice(0, -2), '--scheduler', 'euler']);
  assert.equal(third.code, 0, third.stderr);
  assert.match(path.basename(third.stdout.trim()), /^a-cat-to-the-left-of-a-dog-5-[0-9a-f]{8}\.png$/);
  assert.match(third.stderr, /note: .*a-cat-to-the-left-of-a-dog-5\.png holds another render \(scheduler "ddim"\); kept it/);
  assert.deepEqual(fs.readFileSync(file1), bytes1);
});

test('render - reads the prompts from stdin, as analyze - does', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const out = tmp();
  const r = await cli(['--model', model, '-', '--out', out, '--steps', '1', '--seed', '3', '--provider', 'cpu'], process.cwd(), '# from a pipe\na cup above a book\n');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((f) => path.basename(f)), ['a-cup-above-a-book-3.png']);
  const empty = await cli(['--model', model, '-', '--out', out], process.cwd(), '# nothing\n');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /<stdin>: no prompts/);
});

test('render FILE renders every prompt; --rewrite renders the SPRIGHT-style rewrite', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.prompts'), '# two prompts\na cup above a book\na dog below a lamp\n');
  const r = await cli(['--model', model, 'p.prompts', '--out', 'renders', '--steps', '1', '--seed', '1', '--provider', 'cpu', '--rewrite'], dir);
  assert.equal(r.code, 0, r.stderr);
  const files = r.stdout.trim().split('\n');
  assert.equal(files.length, 2);
  assert.ok(files.every((f) => f.startsWith(path.join(dir, 'renders'))));
  const meta = readPngText(fs.readFileSync(files[0]!));
  assert.equal(meta.prompt, rewritePrompt(parsePrompt('a cup above a book')).text);
  assert.notEqual(meta.prompt, 'a cup above a book');
});

test('usage and input errors exit 2 with one clear line', { skip }, async () => {
  const out = tmp();
  const noModel = await cli(['--prompt', 'x', '--out', out]);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--model DIR is required/);
  const badDir = await cli(['--model', path.join(out, 'missing'), '--prompt', 'x', '--out', out, '--size', '64x64']);
  assert.equal(badDir.code, 2);
  assert.match(badDir.stderr, /missing: expected a Stable Diffusion ONNX model folder; found no such folder/);
  assert.equal(badDir.stderr.trim().split('\n').length, 1);
  const badSize = await cli(['--model', out, '--prompt', 'x', '--out', out, '--size', '60x64']);
  assert.equal(badSize.code, 2);
  assert.match(badSize.stderr, /--size: width must be a multiple of 8 from 8 to 4096 pixels, got 60/);
  const badSched = await cli(['--model', out, '--prompt', 'x', '--out', out, '--scheduler', 'plms']);
  assert.match(badSched.stderr, /--scheduler must be one of ddim, euler, euler_a, dpmpp_2m/);
  const both = await cli(['--model', out, '--prompt', 'x', 'file.txt', '--out', out]);
  assert.match(both.stderr, /either --prompt TEXT or one prompt FILE/);
  const noFile = await cli(['--model', out, path.join(out, 'none.prompts'), '--out', out, '--size', '64x64']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /none\.prompts/);
});

test('--guide layout plans each prompt\'s layout and renders every box with its own prompt', { skip: regionSkip }, async () => {
  const model = regionModelCopy(variant!);
  temps.push(model);
  const out = tmp();
  const args = ['--model', model, '--prompt', 'two red apples to the left of a blue vase', '--out', out, '--steps', '3', '--seed', '7', '--provider', 'cpu'];
  const r = await cli([...args, '--guide', 'layout']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /--prompt: guide: 3 regions \(a red apple; a red apple; a blue vase\)/);
  const meta = readPngText(fs.readFileSync(r.stdout.trim()));
  assert.equal(meta.prompt, 'two red apples to the left of a blue vase');
  const guide = JSON.parse(meta.guide!) as { background: string; regions: Array<{ prompt: string; box: { x: number; w: number } }>; bootstrapSteps: number };
  assert.equal(guide.background, 'two red apples to the left of a blue vase');
  assert.equal(guide.bootstrapSteps, 1); // 40% of 3 steps
  // The planned boxes keep the relation: both apples left of the vase.
  const vase = guide.regions.find((g) => g.prompt === 'a blue vase')!.box;
  for (const apple of guide.regions.filter((g) => g.prompt === 'a red apple')) assert.ok(apple.box.x + apple.box.w / 2 < vase.x + vase.w / 2);
  // Without --guide the same seed renders the plain picture, with no guide recorded.
  const plain = await cli(args);
  assert.equal(plain.code, 0, plain.stderr);
  const plainBytes = fs.readFileSync(plain.stdout.trim());
  assert.equal(readPngText(plainBytes).guide, undefined);
  assert.notDeepEqual(decodePng(plainBytes).data, decodePng(fs.readFileSync(r.stdout.trim())).data);

  const bad = await cli([...args, '--guide', 'boxes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--guide must be 'layout'/);
  // A model exported without its VAE encoder: one line naming the file.
  const noEncoder = loadableCopy(variant!);
  temps.push(noEncoder);
  const missing = await cli(['--model', noEncoder, '--prompt', 'a cat left of a dog', '--out', out, '--steps', '3', '--seed', '1', '--provider', 'cpu', '--guide', 'layout']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /vae_encoder[/\\]model\.onnx: expected the vae_encoder ONNX graph/);
});

/** An OWL-ViT export folder of the random tiny fixture: on noise it finds boxes with varied scores, so the choice has work. */
function owlvitTiny(): string {
  const dir = tmp();
  for (const f of ['model.onnx', 'preprocessor_config.json']) fs.copyFileSync(fixture('owlvit-tiny', f), path.join(dir, f));
  for (const f of ['vocab.json', 'merges.txt']) fs.writeFileSync(path.join(dir, f), zlib.gunzipSync(fs.readFileSync(fixture('clip-tokenizer', `${f}.gz`))));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ pad_token: '!', model_max_length: 16 }));
  return dir;
}

/** What the choice must be, worked out here from the candidates' files with the detector run in this process. */
async function expectedChoice(files: string[], text: string, owl: string, untilSatisfied: boolean): Promise<{ chosen: string; pool: number; satisfied: boolean[] }> {
  const prompt = promptFromParsed('p', parsePrompt(text));
  const service = new InProcessService();
  try {
    const scored = [];
    for (const [j, file] of files.entries()) {
      const { detections } = await service.call('detect', { imagePath: file, labels: ['dog', 'cat'], detector: { kind: 'owlvit', modelDir: owl }, threshold: 0 });
      scored.push({ seed: 5 + j, score: judgeCandidate({ promptId: 'p', prompt, detections, detector: `owlvit:${owl}` }, 'visor', 0).score });
    }
    const choice = chooseCandidate(scored, { n: files.length, untilSatisfied });
    return { chosen: files[choice.chosen!]!, pool: choice.pool, satisfied: scored.map((s) => s.score.allSatisfied) };
  } finally {
    service.dispose();
  }
}

test('--best-of N renders N seeds, detects each, prints the best; the same run chooses the same', { skip }, async () => {
  const model = loadableCopy(variant!);
  temps.push(model);
  const owl = owlvitTiny();
  const text = 'a dog to the left of a cat';
  const out = tmp();
  const args = ['--model', model, '--prompt', text, '--out', out, '--steps', '2', '--seed', '5', '--provider', 'cpu', '--best-of', '4', '--detector', `owlvit:${owl}`, '--threshold', '0'];
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  const files = [5, 6, 7, 8].map((s) => path.join(out, `a-dog-to-the-left-of-a-cat-${s}.png`));
  for (const f of files) assert.ok(fs.existsSync(f), `every candidate is kept: ${f}`);
  const want = await expectedChoice(files, text, owl, false);
  assert.equal(r.stdout, `${want.chosen}\n`, 'stdout is the chosen candidate');
  assert.equal((r.stderr.match(/^seed \d+: [✓]\d [✗]\d, \d\/2 objects found, confidence \d\.\d\d {2}/gm) ?? []).length, 4, r.stderr);
  assert.match(r.stderr, /chosen: seed \d of 4 candidates \(VISOR rule, picked by owlvit:/);
  assert.match(r.stderr, /both picked and scored these candidates, so their marks are an upper bound/);
  // Deterministic: the same command chooses the same file, with the same marks.
  const again = await cli(args);
  assert.equal(again.stdout, r.stdout);
  assert.deepEqual(again.stderr.split('\n').filter((l) => l.startsWith('seed ')), r.stderr.split('\n').filter((l) => l.startsWith('seed ')));

  // --until-satisfied stops at the first candidate that satisfies the relation.
  const until = tmp();
  const u = await cli([...args.slice(0, 5), until, ...args.slice(6), '--until-satisfied']);
  assert.equal(u.code, 0, u.stderr);
  const first = want.satisfied.indexOf(true);
  const rendered = fs.readdirSync(until).filter((f) => f.endsWith('.png')).sort();
  if (first >= 0) {
    assert.equal(rendered.length, first + 1, `rendered ${rendered.join(', ')}`);
    assert.equal(u.stdout.trim(), path.join(until, path.basename(files[first]!)));
  } else {
    assert.equal(rendered.length, 4);
  }
});

test('--best-of usage errors are one clear line', { skip }, async () => {
  const out = tmp();
  const base = ['--model', out, '--prompt', 'a dog left of a cat', '--out', out];
  const cases: Array<[string[], RegExp]> = [
    [['--best-of', '0'], /--best-of must be a whole number from 1 to 16, got '0'/],
    [['--best-of', '17'], /--best-of must be a whole number from 1 to 16, got '17'/],
    [['--best-of', '2', '--batch', '2'], /--best-of chooses among seeds, one image each: use it without --batch/],
    [['--until-satisfied'], /--until-satisfied needs --best-of N with N of 2 or more/],
    [['--best-of', '2', '--rule', 'clip'], /--rule must be visor, t2i-compbench or geneval, got 'clip'/],
    [['--detector', 'embedded'], /use them with --best-of N/],
    [['--best-of', '3', '--seed', '4294967294'], /--best-of 3 needs seeds 4294967294\.\.4294967296/],
  ];
  for (const [extra, message] of cases) {
    const r = await cli([...base, ...extra]);
    assert.equal(r.code, 2, extra.join(' '));
    assert.match(r.stderr, message);
  }
});

test('--best-of with --guide layout: every candidate is region-guided', { skip: regionSkip }, async () => {
  const model = regionModelCopy(variant!);
  temps.push(model);
  const out = tmp();
  const r = await cli(['--model', model, '--prompt', 'a dog to the left of a cat', '--out', out, '--steps', '3', '--seed', '9', '--provider', 'cpu', '--guide', 'layout', '--best-of', '2']);
  assert.equal(r.code, 0, r.stderr);
  const files = fs.readdirSync(out).filter((f) => f.endsWith('.png')).sort();
  assert.deepEqual(files, ['a-dog-to-the-left-of-a-cat-10.png', 'a-dog-to-the-left-of-a-cat-9.png']);
  for (const f of files) assert.equal(JSON.parse(readPngText(fs.readFileSync(path.join(out, f))).guide!).regions.length, 2);
  // The embedded detector finds nothing in noise: a tie, which goes to the lower seed.
  assert.equal(r.stdout.trim(), path.join(out, 'a-dog-to-the-left-of-a-cat-9.png'));
});

/** Writes `text` to the prompt file `prompts` and, beside it, a layout file with `boxes` drawn on a 768x768 canvas for its line 1; returns the layout file. */
function writeDrawnLayout(prompts: string, text: string, boxes: Array<{ id: string; object: string; x: number; y: number; w: number; h: number }>): string {
  fs.writeFileSync(prompts, text);
  const layoutFile = `${prompts}.layout.json`;
  const layouts = [{ line: 1, prompt: text.split('\n')[0]!, canvas: { width: 768, height: 768 }, boxes }];
  fs.writeFileSync(layoutFile, JSON.stringify({ $schema: 'spright-lens://schemas/layout-1.json', version: 1, layouts }));
  return layoutFile;
}

test('--layout FILE renders each prompt with the boxes drawn for it; a changed prompt gets its plan', { skip: regionSkip }, async () => {
  const model = regionModelCopy(variant!);
  temps.push(model);
  const dir = tmp();
  const prompts = path.join(dir, 'scenes.prompts');
  // The apple drawn in the right half of a 768x768 canvas (against the prompt, on purpose).
  const layoutFile = writeDrawnLayout(prompts, 'a red apple to the left of a blue vase\na cup above a book\n', [{ id: 'apple', object: 'apple', x: 384, y: 192, w: 192, h: 384 }]);
  const args = ['--model', model, prompts, '--out', path.join(dir, 'out'), '--steps', '2', '--seed', '3', '--provider', 'cpu', '--layout', layoutFile];
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  const [first, second] = r.stdout.trim().split('\n');
  assert.match(r.stderr, /scenes\.prompts:1: guide: 2 regions from scenes\.prompts\.layout\.json \(a red apple; a blue vase\)/);
  assert.match(r.stderr, /scenes\.prompts:2: layout: none in scenes\.prompts\.layout\.json; planned/);
  // The PNG records the guide it was rendered with: the apple where it was drawn.
  const guide = JSON.parse(readPngText(fs.readFileSync(first!)).guide!) as { regions: Array<{ prompt: string; box: unknown }> };
  assert.deepEqual(guide.regions.find((g) => g.prompt === 'a red apple')?.box, { x: 0.5, y: 0.25, w: 0.25, h: 0.5 });
  const planned = JSON.parse(readPngText(fs.readFileSync(second!)).guide!) as { regions: unknown[] };
  assert.equal(planned.regions.length, 2);

  // The first prompt's words changed after its layout was drawn: stale, said, and planned instead.
  fs.writeFileSync(prompts, 'a red apple to the right of a blue vase\na cup above a book\n');
  const stale = await cli(args);
  assert.equal(stale.code, 0, stale.stderr);
  assert.match(stale.stderr, /scenes\.prompts:1: layout: the layout on line 1 of scenes\.prompts\.layout\.json was drawn for "a red apple to the left of a blue vase"; the prompt changed since/);
  const replanned = JSON.parse(readPngText(fs.readFileSync(stale.stdout.trim().split('\n')[0]!)).guide!) as { regions: Array<{ prompt: string; box: { x: number } }> };
  const at = (p: string): number => replanned.regions.find((g) => g.prompt === p)!.box.x;
  assert.ok(at('a red apple') > at('a blue vase'), 'the plan puts the apple right of the vase');
});

test('--layout: a missing or invalid layout file is one line (file, where, what to do) before any render', async () => {
  const dir = tmp();
  const bad = path.join(dir, 'a.prompts.layout.json');
  fs.writeFileSync(bad, '{\n  "version": 1,\n  "layouts": [{"line": 0, "prompt": "x", "canvas": {"width": 64, "height": 64}, "boxes": []}]\n}\n');
  const r = await cli(['--model', dir, '--prompt', 'a cat left of a dog', '--out', dir, '--layout', bad]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `spright-lens render: ${bad}:3:24: layouts[0].line must be at least 1; fix it (the schema is schemas/layout.schema.json), or delete the entry or the file to re-plan\n`);
  const missing = await cli(['--model', dir, '--prompt', 'a cat left of a dog', '--out', dir, '--layout', 'none.layout.json'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /none\.layout\.json: no such layout file; draw one in the editor's preview panel .* or leave out --layout\n$/);
  assert.equal(missing.stderr.split('\n').length, 2);
});

test('--best-of with --layout: every candidate follows the drawn boxes; boxes that break the relation are said', { skip: regionSkip }, async () => {
  const model = regionModelCopy(variant!);
  temps.push(model);
  const dir = tmp();
  const prompts = path.join(dir, 'scenes.prompts');
  // The apple drawn right of the vase: VISOR's left_of fails on the drawing.
  const layoutFile = writeDrawnLayout(prompts, 'a red apple to the left of a blue vase\n', [
    { id: 'apple', object: 'apple', x: 576, y: 192, w: 160, h: 320 },
    { id: 'vase', object: 'vase', x: 32, y: 192, w: 160, h: 320 },
  ]);
  const out = path.join(dir, 'out');
  const r = await cli(['--model', model, prompts, '--out', out, '--steps', '2', '--seed', '3', '--provider', 'cpu', '--layout', layoutFile, '--best-of', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /scenes\.prompts:1: layout: the drawn boxes break "[^"]*left of[^"]*" under the visor rule that --best-of judges by/);
  assert.match(r.stderr, /chosen: seed \d of 2 candidates \(VISOR rule/);
  const files = fs.readdirSync(out).filter((f) => f.endsWith('.png')).sort();
  assert.equal(files.length, 2, files.join(', '));
  for (const f of files) {
    const guide = JSON.parse(readPngText(fs.readFileSync(path.join(out, f))).guide!) as { regions: Array<{ prompt: string; box: Record<'x' | 'y' | 'w' | 'h', number> }> };
    const apple = guide.regions.find((g) => g.prompt === 'a red apple')?.box;
    assert.ok(apple, f);
    // Fractions of the canvas computed from the box's edges: equal up to rounding.
    const drawn = { x: 576 / 768, y: 192 / 768, w: 160 / 768, h: 320 / 768 };
    for (const k of ['x', 'y', 'w', 'h'] as const) assert.ok(Math.abs(apple[k] - drawn[k]) < 1e-9, `${f} ${k}: ${JSON.stringify(apple)}`);
  }
  assert.ok(files.includes(path.basename(r.stdout.trim())), r.stdout);

  // Without --best-of nothing is judged, so nothing is said about the drawing.
  const plain = await cli(['--model', model, prompts, '--out', path.join(dir, 'plain'), '--steps', '2', '--seed', '3', '--provider', 'cpu', '--layout', layoutFile]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /the drawn boxes break/);
});
