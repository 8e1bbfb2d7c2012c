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
        const want = splitPromptLines(doc);
        assert.deepEqual(got.map((l) => [l.line, l.offset, l.parsed.text]), want.map((l) => [l.line, l.offset, l.text]));
        for (const l of got) assert.deepEqual(l.parsed, parsePrompt(l.parsed.text));
      }
    }),
    { numRuns: 500, seed: 11 },
  );
});

/** Median of a few runs, in ms. */
function time(fn: () => unknown, runs = 5): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

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

test('time grows linearly: 4x the input costs at most ~4x (generous factor)', () => {
  // Under the analysis cap, so the parser itself (not the cap) is measured.
  // A templated unit, and a natural one that exercises participles, "with" phrases, pronouns,
  // lists, quotes and negation.
  for (const unit of [
    'A cat sits to the left of a dog, the dog is above two red chairs. ',
    'A man holding a "sale" sign stands behind a woman with a hat, a scarf and boots; she is not next to him. ',
  ]) {
    const small = unit.repeat(Math.floor(900 / unit.length));
    const large = unit.repeat(Math.floor(3600 / unit.length));
    assert.ok(large.length < 4000);
    parsePrompt(large);
    const ts = time(() => { for (let i = 0; i < 20; i++) parsePrompt(small); });
    const tl = time(() => { for (let i = 0; i < 20; i++) parsePrompt(large); });
    assert.ok(tl < ts * 4 * 3 + 5, `4x input took ${(tl / ts).toFixed(1)}x the time (${ts.toFixed(1)} ms -> ${tl.toFixed(1)} ms)`);
  }
  // Whole documents: 4x the lines, ~4x the time.
  const docSmall = 'a cat left of a dog number 1\n'.repeat(1000).replace(/1\n/g, () => `${Math.random()}\n`);
  const docLarge = 'a cat left of a dog number 1\n'.repeat(4000).replace(/1\n/g, () => `${Math.random()}\n`);
  const ds = time(() => new DocumentAnalyzer().update(docSmall), 3);
  const dl = time(() => new DocumentAnalyzer().update(docLarge), 3);
  assert.ok(dl < ds * 4 * 3 + 5, `4x lines took ${(dl / ds).toFixed(1)}x the time`);
});
