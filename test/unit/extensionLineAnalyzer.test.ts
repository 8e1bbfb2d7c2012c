import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParsedPrompt } from '../../src/parser/types';
import { LineCachedAnalyzer } from '../../src/extension/language/lineAnalyzer';

function counting(): { parse: (t: string) => ParsedPrompt; calls: string[] } {
  const calls: string[] = [];
  return { calls, parse: (text) => (calls.push(text), { text, objects: [], relations: [], diagnostics: [] }) };
}

test('skips blank and comment lines, records line, offset and trimmed text', () => {
  const { parse } = counting();
  const lines = new LineCachedAnalyzer(parse).update('# comment\r\n\n   a cat left of a dog  \n\t# indented comment\nx');
  assert.deepEqual(
    lines.map((l) => [l.line, l.offset, l.parsed.text]),
    [
      [2, 3, 'a cat left of a dog'],
      [4, 0, 'x'],
    ],
  );
});

test('an edit re-parses only the changed line', () => {
  const { parse, calls } = counting();
  const a = new LineCachedAnalyzer(parse);
  const doc = Array.from({ length: 1000 }, (_v, i) => `prompt ${i}`);
  a.update(doc.join('\n'));
  assert.equal(calls.length, 1000);
  calls.length = 0;
  doc[500] = 'prompt 500 edited';
  const lines = a.update(doc.join('\n'));
  assert.deepEqual(calls, ['prompt 500 edited']);
  assert.equal(lines.length, 1000);
  assert.equal(lines[500]!.parsed.text, 'prompt 500 edited');
  // Inserting a line shifts line numbers without re-parsing the rest.
  calls.length = 0;
  doc.unshift('new first');
  const shifted = a.update(doc.join('\n'));
  assert.deepEqual(calls, ['new first']);
  assert.equal(shifted[1]!.line, 1);
  assert.equal(shifted[1]!.parsed.text, 'prompt 0');
});
