import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParsedPrompt } from '../../src/parser/types';
import { escapeMarkdown, hoverMarkdown, objectLabel, promptSymbol, siblingRewritePath, statusText, summarize } from '../../src/extension/language/format';
import type { AnalyzedLine } from '../../src/parser';

const catDog: ParsedPrompt = {
  text: 'two red cats to the left of a dog',
  objects: [
    { id: 'o1', noun: 'cat', phrase: 'two red cats', count: 2, attributes: ['red'], placements: [], details: [], span: [0, 12] },
    { id: 'o2', noun: 'dog', phrase: 'a dog', count: 1, attributes: [], placements: [], details: [], span: [28, 33] },
  ],
  relations: [{ subject: 'o1', relation: 'left_of', object: 'o2', phrase: 'to the left of', span: [13, 27] }],
  scene: [],
  diagnostics: [],
};

test('object label shows count and attributes', () => {
  assert.equal(objectLabel(catDog.objects[0]!), '2 × red cat');
  assert.equal(objectLabel({ ...catDog.objects[1]!, count: null }), 'dog');
});

test('escapeMarkdown neutralises markup and HTML', () => {
  const hostile = '**bold** <img src=x onerror=alert(1)> [link](http://x) `code`\n# heading';
  const escaped = escapeMarkdown(hostile);
  assert.ok(!escaped.includes('\n'));
  // Every markdown-significant character is preceded by a backslash.
  for (const ch of ['*', '<', '>', '[', ']', '(', ')', '`', '#']) {
    for (let i = escaped.indexOf(ch); i >= 0; i = escaped.indexOf(ch, i + 1)) {
      assert.equal(escaped[i - 1], '\\', `unescaped ${ch} at ${i} in ${escaped}`);
    }
  }
});

test('hover lists objects and relations, escaping user text', () => {
  const p: ParsedPrompt = {
    ...catDog,
    objects: [{ ...catDog.objects[0]!, phrase: '<b>two</b> *red* cats' }, catDog.objects[1]!],
  };
  const md = hoverMarkdown(p);
  assert.match(md, /\*\*Objects\*\* \(2\)/);
  assert.match(md, /\*\*cat\*\* \(2 instances; red\)/);
  assert.match(md, /`left_of\(cat, dog\)`/);
  assert.ok(!md.includes('<b>'));
  assert.ok(md.includes('\\<b\\>'));
  assert.ok(md.includes('\\*red\\*'));
});

test('hover shows placements, details and the scene', () => {
  const p: ParsedPrompt = {
    ...catDog,
    objects: [{ ...catDog.objects[0]!, placements: ['left', 'foreground'], details: ['wearing *hats*'] }, catDog.objects[1]!],
    scene: [
      { kind: 'medium', phrase: 'a photo of', span: [0, 10] },
      { kind: 'time', phrase: 'at night', span: [11, 19] },
    ],
  };
  const md = hoverMarkdown(p);
  assert.match(md, /\*\*cat\*\* \(2 instances; red; placed left, foreground\)/);
  assert.ok(md.includes('  - wearing \\*hats\\*'));
  assert.match(md, /\*\*Scene\*\* \(2\)\n\n- medium: “a photo of”\n- time: “at night”/);
  assert.ok(!hoverMarkdown(catDog).includes('Scene'), 'no scene section when there is none');
});

test('status text pluralises', () => {
  const lines: AnalyzedLine[] = [
    { line: 0, offset: 0, parsed: catDog },
    { line: 2, offset: 0, parsed: { ...catDog, diagnostics: [{ code: 'vague', severity: 'warning', message: 'm', span: [0, 1] }] } },
  ];
  assert.deepEqual(summarize(lines), { prompts: 2, relations: 2, problems: 1 });
  assert.equal(statusText(summarize(lines)), '2 prompts · 2 relations · 1 problem');
  assert.equal(statusText(summarize([])), '0 prompts · 0 relations · 0 problems');
});

test('outline symbol truncates long prompts and lists objects', () => {
  const s = promptSymbol(catDog);
  assert.equal(s.name, catDog.text);
  assert.equal(s.detail, '2 objects · 1 relation');
  assert.deepEqual(
    s.children.map((c) => [c.name, c.detail]),
    [
      ['cat', '×2 red'],
      ['dog', '×1'],
    ],
  );
  const framed = promptSymbol({
    ...catDog,
    objects: [{ ...catDog.objects[0]!, placements: ['left'] }, catDog.objects[1]!],
    scene: [{ kind: 'setting', phrase: 'in a field', span: [0, 10] }],
  });
  assert.deepEqual(
    framed.children.map((c) => [c.kind, c.name, c.detail]),
    [
      ['object', 'cat', '×2 red @left'],
      ['object', 'dog', '×1'],
      ['scene', 'in a field', 'setting'],
    ],
  );
  const long = promptSymbol({ ...catDog, text: 'x'.repeat(500) });
  assert.equal(long.name.length, 60);
  assert.ok(long.name.endsWith('…'));
});

test('sibling rewrite path', () => {
  assert.equal(siblingRewritePath('/w/scenes.prompts'), '/w/scenes.spright.prompts');
  assert.equal(siblingRewritePath('/w/a.b/scene.prompt'), '/w/a.b/scene.spright.prompts');
  assert.equal(siblingRewritePath('C:\\w\\list.txt'), 'C:\\w\\list.spright.prompts');
  assert.equal(siblingRewritePath('/w/scenes.spright.prompts'), '/w/scenes.spright.prompts');
  assert.equal(siblingRewritePath('/w/noext'), '/w/noext.spright.prompts');
});
