// Saved layouts (src/generator/layoutFile.ts): the checks on edited boxes, the file format and its
// schema, the one-line errors for bad files, the keys (text, then line) and stale detection, and
// atomic writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { checkLayout, layoutWithBoxes, planLayout, type Layout } from '../../src/generator';
import {
  applySavedBoxes,
  layoutFilePath,
  layoutWithSaved,
  LayoutFileError,
  matchLayout,
  parseLayoutFile,
  readLayoutFile,
  relineLayouts,
  savedLayoutOf,
  serializeLayoutFile,
  withLayout,
  withoutLayout,
  writeLayoutFile,
  type LayoutFile,
  type SavedLayout,
} from '../../src/generator/layoutFile';
import { LAYOUT_SCHEMA, LAYOUT_SCHEMA_ID } from '../../src/generator/layoutSchema';
import { regionGuideFromLayout } from '../../src/generator/regions';
import { parsePrompt } from '../../src/parser';
import { repoRoot } from './helpers/paths';

function planned(text: string, size = { width: 768, height: 768 }): Layout {
  const r = planLayout(parsePrompt(text), size);
  if (!r.ok) assert.fail(r.message);
  return r.layout;
}

function entry(line: number, prompt: string, boxes: SavedLayout['boxes'] = []): SavedLayout {
  return { line, prompt, canvas: { width: 768, height: 768 }, boxes };
}

function file(...layouts: SavedLayout[]): LayoutFile {
  return { $schema: LAYOUT_SCHEMA_ID, version: 1, layouts };
}

function errorOf(text: string): LayoutFileError {
  try {
    parseLayoutFile(text, '/p/a.prompts.layout.json');
  } catch (err) {
    assert.ok(err instanceof LayoutFileError, String(err));
    return err;
  }
  assert.fail('expected a LayoutFileError');
}

// ---- checks on edited boxes ----------------------------------------------------------------------

test('checkLayout gives back the planner its own checks on every planned layout', () => {
  const prompts = [
    'a red apple to the left of a green bowl',
    'a lamp above a wooden table',
    'two cats to the left of a dog',
    'a cup on a table next to a vase',
    'a dog between two trees',
    'a large elephant behind a small car, a bird above the elephant',
    'a cat inside a box near a chair',
  ];
  for (const text of prompts) {
    const parsed = parsePrompt(text);
    const layout = planned(text);
    assert.deepEqual(checkLayout(parsed, layout), layout.checks, text);
  }
});

test('checkLayout flips a relation when its boxes are dragged past each other', () => {
  const parsed = parsePrompt('a red apple to the left of a green bowl');
  const layout = planned(parsed.text);
  const apple = layout.boxes.find((b) => b.objectId === 'apple')!;
  const bowl = layout.boxes.find((b) => b.objectId === 'bowl')!;
  assert.equal(checkLayout(parsed, layout)[0]!.satisfied, true);
  // The apple moved right of the bowl: every rule now says no.
  const moved = layout.boxes.map((b) => (b === apple ? { ...b, x: bowl.x + bowl.w + 10 > 768 - b.w ? 768 - b.w : bowl.x + bowl.w + 10 } : b));
  const [c] = checkLayout(parsed, { ...layout, boxes: moved });
  assert.deepEqual([c!.visor, c!.geneval, c!.satisfied], [false, false, false]);
  assert.ok((c!.t2i ?? 1) < 1);
  // layoutWithBoxes recomputes the checks and the placement words for the new boxes.
  const edited = layoutWithBoxes(parsed, layout, moved);
  assert.equal(edited.checks[0]!.satisfied, false);
  assert.equal(edited.placements.apple, 'on the right side');
});

// ---- the format and its schema --------------------------------------------------------------------

test('the committed schema is the one the code validates with (node scripts/gen-schema.mjs writes it)', () => {
  const committed = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas', 'layout.schema.json'), 'utf8')) as unknown;
  assert.deepEqual(committed, JSON.parse(JSON.stringify(LAYOUT_SCHEMA)), 'schemas/layout.schema.json is stale: run node scripts/gen-schema.mjs');
  // package.json contributes it to VS Code for the layout files beside prompt files.
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { jsonValidation: Array<{ fileMatch: string[]; url: string }> } };
  const contribution = pkg.contributes.jsonValidation.find((j) => j.url === './schemas/layout.schema.json');
  assert.ok(contribution, 'no jsonValidation entry for the layout schema');
  assert.deepEqual([...contribution.fileMatch].sort(), ['*.prompt.layout.json', '*.prompts.layout.json', '*.txt.layout.json']);
  assert.ok(fs.readFileSync(path.join(repoRoot, '.vscodeignore'), 'utf8').includes('!schemas/*.json'), 'the schema is not packaged');
});

test('a written file is readable JSON that passes the schema and reads back the same', () => {
  const layout = planned('two cats to the left of a dog');
  const f = file(entry(3, 'a lamp above a table'), savedLayoutOf({ line: 1, text: 'two cats to the left of a dog' }, layout, layout.boxes));
  const text = serializeLayoutFile(f);
  // Entries in line order, one box a line: a moved box is a one-line diff.
  assert.match(text, /^\{\n  "\$schema": "spright-lens:\/\/schemas\/layout-1\.json",\n  "version": 1,\n  "layouts": \[\n    \{\n      "line": 1,/);
  assert.match(text, /\n {8}\{"id": "cat#1", "object": "cat", "x": \d+, "y": \d+, "w": \d+, "h": \d+\},\n/);
  const ajv = new Ajv();
  assert.equal(ajv.validate(LAYOUT_SCHEMA, JSON.parse(text)), true, JSON.stringify(ajv.errors));
  const back = parseLayoutFile(text, 'x.layout.json');
  assert.deepEqual(back.layouts.map((l) => l.line), [1, 3]);
  assert.deepEqual(back.layouts[0]!.boxes, layout.boxes.map((b) => ({ id: b.id, object: b.objectId, x: b.x, y: b.y, w: b.w, h: b.h })));
  assert.equal(serializeLayoutFile(back), text);
});

test('bad files fail with one line: the file, line and column, what is wrong, what to do', () => {
  const good = serializeLayoutFile(file(entry(1, 'a cat left of a dog', [{ id: 'cat', object: 'cat', x: 10, y: 10, w: 100, h: 100 }])));
  const cases: Array<[string, string, RegExp]> = [
    [good.replace('"version": 1,', '"version": 1'), 'not valid JSON', /:4:3: not valid JSON \(CommaExpected\)/],
    [good.replace('"w": 100', '"w": 0'), 'w below 1', /:10:63: layouts\[0\]\.boxes\[0\]\.w must be at least 1;/],
    [good.replace('"x": 10', '"x": 10.5'), 'x not whole', /:10:45: layouts\[0\]\.boxes\[0\]\.x must be a whole number/],
    [good.replace('"line": 1,', '"line": 1, "colour": "red",'), 'unknown field', /:6:18: layouts\[0\] has an unknown field "colour"/],
    [good.replace('"prompt": "a cat left of a dog",\n', ''), 'missing prompt', /:5:5: layouts\[0\] lacks "prompt"/],
    [good.replace('"version": 1', '"version": 2'), 'other version', /:3:14: version must be 1;/],
    [good.replace('"x": 10', '"x": 700'), 'past the canvas', /:10:9: layouts\[0\]\.boxes\[0\] \("cat"\) reaches past the 768x768 canvas/],
    [good.replace('"width": 768', '"width": 8'), 'tiny canvas', /:8:28: layouts\[0\]\.canvas\.width must be at least 16/],
    [good.replace(/\{"id": "cat".*\}/, (b) => `${b},\n        ${b}`), 'duplicate id', /:11:16: layouts\[0\]\.boxes has two boxes with id "cat"/],
    ['', 'empty', /:1:1: not valid JSON \(ValueExpected\)/],
  ];
  for (const [text, what, expected] of cases) {
    const err = errorOf(text);
    assert.match(err.message, expected, what);
    assert.ok(err.message.startsWith('/p/a.prompts.layout.json:'), `${what}: names the file: ${err.message}`);
    assert.match(err.message, /; fix it \(the schema is schemas\/layout\.schema\.json\), or delete the entry or the file to re-plan$/, `${what}: says what to do`);
    assert.ok(!err.message.includes('\n'), `${what}: one line`);
  }
});

// ---- keys and stale detection -------------------------------------------------------------------------

test('a prompt finds its layout by text, wherever its line went', () => {
  const f = file(entry(1, 'a cat left of a dog'), entry(2, 'a cup above a book'));
  // A line was inserted on top: both prompts moved down one.
  const prompts = [
    { line: 1, text: 'a new prompt' },
    { line: 2, text: 'a cat left of a dog' },
    { line: 3, text: 'a cup above a book' },
  ];
  assert.deepEqual(matchLayout(f, prompts[1]!, prompts), { status: 'fresh', saved: f.layouts[0] });
  assert.deepEqual(matchLayout(f, prompts[2]!, prompts), { status: 'fresh', saved: f.layouts[1] });
  // The new prompt sits on line 1, where the cat's entry was: not stale, that entry is the cat's.
  assert.deepEqual(matchLayout(f, prompts[0]!, prompts), { status: 'none' });
  // Without a line (--prompt TEXT) only the text counts.
  assert.equal(matchLayout(f, { line: null, text: 'a cup above a book' }).status, 'fresh');
  assert.equal(matchLayout(f, { line: null, text: 'a cup below a book' }).status, 'none');
  // Relining moves the entries to where their prompts are now.
  assert.deepEqual(relineLayouts(f, prompts).layouts.map((l) => [l.line, l.prompt]), [
    [2, 'a cat left of a dog'],
    [3, 'a cup above a book'],
  ]);
});

test('identical prompts of one file each keep their own layout, in line order', () => {
  const a = entry(2, 'a cat left of a dog', [{ id: 'cat', object: 'cat', x: 1, y: 1, w: 10, h: 10 }]);
  const b = entry(5, 'a cat left of a dog', [{ id: 'cat', object: 'cat', x: 500, y: 1, w: 10, h: 10 }]);
  const f = file(b, a);
  const prompts = [
    { line: 3, text: 'a cat left of a dog' },
    { line: 6, text: 'a cat left of a dog' },
    { line: 9, text: 'a cat left of a dog' },
  ];
  assert.deepEqual(matchLayout(f, prompts[0]!, prompts), { status: 'fresh', saved: a });
  assert.deepEqual(matchLayout(f, prompts[1]!, prompts), { status: 'fresh', saved: b });
  // A third copy has no layout of its own.
  assert.deepEqual(matchLayout(f, prompts[2]!, prompts), { status: 'none' });
});

test('a layout whose prompt text changed is stale; re-planning removes it, editing replaces it', () => {
  const f = file(entry(1, 'a red apple to the left of a green bowl'), entry(2, 'a lamp above a table'));
  const prompts = [
    { line: 1, text: 'a red apple to the right of a green bowl' },
    { line: 2, text: 'a lamp above a table' },
  ];
  const m = matchLayout(f, prompts[0]!, prompts);
  assert.deepEqual(m, { status: 'stale', saved: f.layouts[0] });
  assert.equal(matchLayout(f, prompts[1]!, prompts).status, 'fresh');
  // Re-plan: the stale entry goes, the other stays.
  assert.deepEqual(withoutLayout(f, f.layouts[0]!).layouts.map((l) => l.prompt), ['a lamp above a table']);
  // Editing the new prompt's layout replaces the stale entry on its line.
  const next = withLayout(f, entry(1, prompts[0]!.text), m.status === 'stale' ? m.saved : undefined);
  assert.deepEqual(next.layouts.map((l) => [l.line, l.prompt]), [
    [1, 'a red apple to the right of a green bowl'],
    [2, 'a lamp above a table'],
  ]);
  // The stale entry on a line whose prompt moved elsewhere is that prompt's, not stale.
  const swapped = [
    { line: 1, text: 'a lamp above a table' },
    { line: 2, text: 'a red apple to the left of a green bowl' },
  ];
  assert.equal(matchLayout(f, swapped[0]!, swapped).status, 'fresh');
  // An entry other prompts do not claim, on another line, stays in the file when one is added.
  assert.equal(withLayout(f, entry(1, 'a new text')).layouts.length, 3);
});

// ---- applying saved boxes ----------------------------------------------------------------------------

test('saved boxes go over the plan by id; new instances come from the plan; lost objects are reported', () => {
  const parsed = parsePrompt('three cats to the left of a dog');
  const plan = planned(parsed.text);
  const saved = entry(1, 'two cats to the left of a dog', [
    { id: 'cat#1', object: 'cat', x: 400, y: 10, w: 100, h: 100 },
    { id: 'cat#2', object: 'cat', x: 500, y: 10, w: 100, h: 100 },
    { id: 'bird', object: 'bird', x: 0, y: 0, w: 50, h: 50 },
  ]);
  const applied = applySavedBoxes(plan.boxes, saved);
  assert.deepEqual(
    applied.boxes.map((b) => b.id),
    plan.boxes.map((b) => b.id),
  );
  assert.deepEqual(applied.boxes.find((b) => b.id === 'cat#2'), { ...plan.boxes.find((b) => b.id === 'cat#2')!, x: 500, y: 10, w: 100, h: 100 });
  assert.deepEqual(applied.boxes.find((b) => b.id === 'cat#3'), plan.boxes.find((b) => b.id === 'cat#3'));
  assert.deepEqual(applied.unmatched.map((b) => b.id), ['bird']);

  // layoutWithSaved plans on the saved canvas, applies the boxes and judges the result.
  const wide = { ...saved, canvas: { width: 1024, height: 512 } };
  const { result, unmatched } = layoutWithSaved(parsed, wide, { width: 768, height: 768 });
  assert.ok(result.ok);
  assert.deepEqual([result.layout.width, result.layout.height], [1024, 512]);
  assert.equal(result.layout.boxes.find((b) => b.id === 'cat#1')?.x, 400);
  assert.deepEqual(result.layout.checks, checkLayout(parsed, result.layout));
  assert.deepEqual(unmatched.map((b) => b.id), ['bird']);
  assert.deepEqual(layoutWithSaved(parsed, null, { width: 512, height: 512 }).result, planLayout(parsed, { width: 512, height: 512 }));
});

test('the region guide of an edited layout puts each region where its box was drawn', () => {
  const parsed = parsePrompt('a red apple to the left of a green bowl');
  const saved = entry(1, parsed.text, [{ id: 'apple', object: 'apple', x: 384, y: 192, w: 192, h: 384 }]);
  const { result } = layoutWithSaved(parsed, saved);
  assert.ok(result.ok);
  const guide = regionGuideFromLayout(parsed, result.layout);
  assert.deepEqual(guide.regions.find((r) => r.id === 'apple'), { prompt: 'a red apple', box: { x: 0.5, y: 0.25, w: 0.25, h: 0.5 }, id: 'apple' });
});

// ---- files on disk ----------------------------------------------------------------------------------

test('layout files sit beside the prompt file; writes are atomic and leave no temp files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-layouts-'));
  try {
    const target = layoutFilePath(path.join(dir, 'scenes.prompts'));
    assert.equal(target, path.join(dir, 'scenes.prompts.layout.json'));
    assert.equal(await readLayoutFile(target), null);
    const f = file(entry(1, 'a cat left of a dog', [{ id: 'cat', object: 'cat', x: 1, y: 2, w: 3, h: 4 }]));
    await writeLayoutFile(target, f);
    assert.deepEqual(await readLayoutFile(target), f);
    assert.deepEqual(fs.readdirSync(dir), ['scenes.prompts.layout.json']);
    // A bad file on disk is reported, not replaced or read as empty.
    fs.writeFileSync(target, '{"version": 1, "layouts": [}');
    await assert.rejects(readLayoutFile(target), (err: Error) => err instanceof LayoutFileError && err.message.startsWith(`${target}:1:28: not valid JSON`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
