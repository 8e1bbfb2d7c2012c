/** Prompt file reading: formats, BOM/CRLF, and one clear error per kind of bad input. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { PromptFileError, readPromptFile, readPromptSource } from '../../src/parser';
import { fixture } from './helpers/paths';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('.prompts: BOM, CRLF, comments, trailing comments, 1-based lines', () => {
  const records = readPromptFile(fixture('parser', 'bom-crlf.prompts'));
  assert.deepEqual(
    records.map((r) => [r.line, r.text]),
    [
      [2, 'a cat to the left of a dog'],
      [4, 'a red chair above a table'],
    ],
  );
  assert.equal(records[0].source, fixture('parser', 'bom-crlf.prompts'));
});

test('.jsonl: prompt field first, then text; blank lines skipped; line numbers kept', () => {
  const records = readPromptFile(fixture('parser', 'prompts.jsonl'));
  assert.deepEqual(
    records.map((r) => [r.line, r.text]),
    [
      [1, 'a cat left of a dog'],
      [3, 'a lamp over a table'],
      [4, 'a cat behind a tree'],
    ],
  );
});

test('.txt and .prompt read like .prompts', () => {
  for (const name of ['x.txt', 'x.prompt', 'x.prompts']) {
    assert.deepEqual(readPromptSource(enc('# c\nline one\nline two\n'), name).map((r) => r.text), ['line one', 'line two']);
  }
});

function assertFileError(fn: () => unknown, pattern: RegExp, line: number | null): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PromptFileError, String(err));
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.equal(err.line, line);
    return true;
  });
}

test('errors name the file, the line, the problem and the fix', () => {
  const f = (n: string): string => fixture('parser', n);
  assertFileError(() => readPromptFile(f('invalid-utf8.prompts')), /invalid-utf8\.prompts:2: invalid UTF-8 \(byte 0xff at offset 22\); re-save the file as UTF-8/, 2);
  assertFileError(() => readPromptFile(f('binary.prompts')), /binary\.prompts:1: not a text file \(NUL byte/, 1);
  assertFileError(() => readPromptFile(f('bad-json.jsonl')), /bad-json\.jsonl:2: bad JSONL line \(.+\); each line must be one JSON object/, 2);
  assertFileError(() => readPromptFile(f('bad-field.jsonl')), /bad-field\.jsonl:1: bad JSONL line/, 1);
  assertFileError(() => readPromptSource(enc('{"prompt": 1}\n'), 'a.jsonl'), /a\.jsonl:1: no "prompt" or "text" string field/, 1);
  assertFileError(() => readPromptSource(enc('[1,2]\n'), 'a.jsonl'), /a\.jsonl:1: bad JSONL line \(not a JSON object\)/, 1);
  assertFileError(() => readPromptFile(f('does-not-exist.prompts')), /does-not-exist\.prompts: no such file; check the path/, null);
  assertFileError(() => readPromptFile(fixture('parser')), /is a directory/, null);
});

test('invalid UTF-8 location agrees with TextDecoder on every fixture byte', () => {
  // Overlong, surrogate, truncated and out-of-range sequences.
  for (const bytes of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80, 0x80], [0x80]]) {
    const data = new Uint8Array([0x61, 0x0a, ...bytes]);
    assertFileError(() => readPromptSource(data, 'x.prompts'), /x\.prompts:2: invalid UTF-8 \(byte 0x[0-9a-f]{2} at offset 2\)/, 2);
  }
  // Valid multi-byte text, emoji and a BOM pass.
  const ok = readPromptSource(enc('\uFEFFun chat à gauche 🐱 d’un chien\n'), 'x.prompts');
  assert.equal(ok[0].text, 'un chat à gauche 🐱 d’un chien');
  assert.ok(fs.existsSync(fixture('parser', 'prompts.jsonl')));
});
