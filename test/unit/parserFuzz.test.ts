/**
 * Property-based fuzzing of the parser and the file reader: random and hostile inputs never throw,
 * always keep the record contract, and cost time linear in their size.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DocumentAnalyzer, parsePrompt, PromptFileError, readPromptSource, splitPromptLines, type ParsedPrompt } from '../../src/parser';

function assertContract(p: ParsedPrompt, text: string): void {
  assert.equal(p.text, text);
  const ids = new Set(p.objects.map((o) => o.id));
  assert.equal(ids.size, p.objects.length);
  const inside = (s: [number, number]): boolean => Number.isInteger(s[0]) && s[0] >= 0 && s[0] <= s[1] && s[1] <= text.length;
  for (const o of p.objects) {
    assert.ok(inside(o.span));
    assert.equal(o.phrase, text.slice(o.span[0], o.span[1]));
  }
  for (const r of p.relations) {
    assert.ok(ids.has(r.subject) && ids.has(r.object) && r.subject !== r.object);
    if (r.object2 !== undefined) assert.ok(ids.has(r.object2));
    assert.ok(inside(r.span));
  }
  for (const d of p.diagnostics) {
    assert.ok(inside(d.span));
    assert.notEqual(d.code, 'internal-error', d.message);
  }
}

const WORDS = [
  'a', 'the', 'two', 'cat', 'dogs', 'teddy', 'bear', 'left', 'of', 'to', 'on', 'its', 'right', 'above',
  'between', 'and', 'with', ',', '.', 'it', 'them', 'beside', 'in', 'front', 'behind', 'red', 'wooden',
  'kitty-corner', 'diagonal', 'near-ish', 'far', 'from', 'top', 'a pair of', 'hidden by', 'towers over',
  '\u200b', '\u202e', '🐱', 'لقطة', '#', '\u0000', '\uD800', '日本', 'é', '  ',
];
const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.constantFrom(...WORDS), { maxLength: 80 }).map((w) => w.join(' ')),
);

test('parsePrompt never throws and keeps the contract (random, binary, word soup, RTL, emoji)', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      assertContract(parsePrompt(text), text);
    }),
    { numRuns: 3000, seed: 20240402 },
  );
});

test('readPromptSource on random bytes: records or a PromptFileError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('a.prompts', 'b.txt', 'c.jsonl'), (bytes, name) => {
      try {
        for (const r of readPromptSource(bytes, name)) {
          assert.equal(r.source, name);
          assert.ok(Number.isInteger(r.line) && r.line >= 1);
          assertContract(parsePrompt(r.text), r.text);
        }
      } catch (err) {
        assert.ok(err instanceof PromptFileError, String(err));
        assert.ok(err.message.startsWith(name), err.message);
        assert.ok(!err.message.includes('\n'));
      }
    }),
    { numRuns: 2000, seed: 7 },
  );
});

test('splitPromptLines: every line is a slice of the document at its offset', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a cat', '# c', '', ' x # y', '\r', '\n', '\r\n', '#', ' ', 'dog #1'), { maxLength: 40 }), (parts) => {
      const doc = parts.join('');
      for (const l of splitPromptLines(doc)) {
        assert.equal(doc.slice(l.offset, l.offset + l.text.length), l.text);
        assert.ok(l.text.length > 0 && !l.text.startsWith('#'));
      }
    }),
    { numRuns: 1000, seed: 3 },
  );
});

test('DocumentAnalyzer agrees with splitPromptLines + parsePrompt across successive edits', () => {
  const piece = fc.constantFrom('a cat left of a dog', 'the dog above it', '# c', '', ' x # y', '\r', '\n', '\r\n', '#', ' ', 'dog #1');
  fc.assert(
    fc.property(fc.array(fc.array(piece, { maxLength: 30 }), { minLength: 1, maxLength: 4 }), (docs) => {
      const analyzer = new DocumentAnalyzer();
      for (const parts of docs) {
        const doc = parts.join('');
        const got = analyzer.update(doc);
        // splitPromptLines gives document offsets; the analyzer's are within the line.
        const lineStart = (offset: number): number => Math.max(doc.lastIndexOf('\n', offset - 1), doc.lastIndexOf('\r', offset - 1)) + 1;
        const want = splitPromptLines(doc).map((l) => [l.line, l.offset - lineStart(l.offset), l.text]);
        assert.deepEqual(got.map((l) => [l.line, l.offset, l.parsed.text]), want);
        for (const l of got) assert.deepEqual(l.parsed, parsePrompt(l.parsed.text));
      }
    }),
    { numRuns: 500, seed: 11 },
  );
});

test('hostile sizes: 1 MB line, a phrase repeated 10,000 times, binary noise', () => {
  const mb = 'a cat to the left of a dog '.repeat(40_000).slice(0, 1 << 20);
  const p = parsePrompt(mb);
  assertContract(p, mb);
  assert.equal(p.diagnostics[p.diagnostics.length - 1].code, 'truncated');
  const repeated = 'beside '.repeat(10_000);
  assertContract(parsePrompt(repeated), repeated);
  let noise = '';
  for (let i = 0; i < 100_000; i++) noise += String.fromCharCode((i * 7919) % 65536);
  assertContract(parsePrompt(noise), noise);
  const doc = 'a dog under a table\n'.repeat(10_000);
  assert.equal(new DocumentAnalyzer().update(doc).length, 10_000);
});

test('4x the input is analysed whole: 4x the objects and lines (time ratios: npm run bench)', () => {
  // Under the analysis cap, so the parser itself (not the cap) does all of it.
  const unit = 'A cat sits to the left of a dog, the dog is above two red chairs. ';
  const small = parsePrompt(unit.repeat(12));
  const large = parsePrompt(unit.repeat(48));
  assert.ok(unit.repeat(48).length < 4000);
  assertContract(large, unit.repeat(48));
  assert.ok(!large.diagnostics.some((d) => d.code === 'truncated'));
  assert.equal(large.objects.length, 4 * small.objects.length);
  // A natural unit (participles, "with" phrases, pronouns, lists, quotes, negation) is analysed
  // whole as well; its time ratio is in the bench with the templated one.
  const natural = 'A man holding a "sale" sign stands behind a woman with a hat, a scarf and boots; she is not next to him. ';
  assert.ok(natural.repeat(36).length < 4000);
  const big = parsePrompt(natural.repeat(36));
  assertContract(big, natural.repeat(36));
  assert.ok(!big.diagnostics.some((d) => d.code === 'truncated'));
  assert.ok(big.objects.length >= 36, `${big.objects.length} objects from 36 copies`);
  const doc = (n: number): string => Array.from({ length: n }, (_, i) => `a cat left of a dog number ${i}`).join('\n');
  assert.equal(new DocumentAnalyzer().update(doc(4000)).length, 4 * new DocumentAnalyzer().update(doc(1000)).length);
});
