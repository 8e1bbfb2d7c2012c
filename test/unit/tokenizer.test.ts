import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClipTokenizer, clipClean } from '../../src/render';

/**
 * A hand-made vocabulary in CLIP's layout: single byte characters (bare and with `</w>`), a few
 * merges, then the special tokens. Every expected token below is worked out by hand from these
 * merges (lowest rank first, all occurrences merged left to right).
 */
function tinyTokenizer(padToken?: string, maxLength?: number): ClipTokenizer {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789!,.'".split('');
  const merges = ['c a', 't </w>', 'ca t</w>', 'd o', 'do g</w>', 'o n', 'l e', 'le f', 'lef t</w>', "' s</w>", 'o f</w>', 'c at</w>'];
  // `t </w>` is never used by BPE (`</w>` is glued to the last character), kept to check that.
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const c of chars) vocab[c] = id++;
  for (const c of chars) vocab[c + '</w>'] = id++;
  for (const m of merges) vocab[m.replace(' ', '')] = id++;
  vocab['Ã'] = id++;
  vocab['©</w>'] = id++;
  vocab['<|startoftext|>'] = id++;
  vocab['<|endoftext|>'] = id++;
  return new ClipTokenizer({ vocab, merges: ['#version: 0.2', ...merges].join('\n') + '\n', padToken, maxLength });
}

test('BPE merges by rank: "a cat left of a dog"', () => {
  const tok = tinyTokenizer();
  assert.deepEqual(tok.tokenize('a cat left of a dog'), ['a</w>', 'cat</w>', 'left</w>', 'of</w>', 'a</w>', 'dog</w>']);
});

test('cleaning: case, tabs/newlines and repeated spaces do not change the tokens', () => {
  const tok = tinyTokenizer();
  assert.deepEqual(tok.encode('  A\tCAT\n\n LEFT   of  a DOG '), tok.encode('a cat left of a dog'));
  assert.equal(clipClean(' Two\u00a0 Cats\u0000 '), 'two cats');
});

test("pre-tokenizer: punctuation runs, single digits, contractions", () => {
  const tok = tinyTokenizer();
  assert.deepEqual(tok.tokenize("cat's 12 dogs!!,"), ['cat</w>', "'s</w>", '1</w>', '2</w>', 'do', 'g', 's</w>', '!!,</w>'].flatMap((t) => (t === '!!,</w>' ? ['!', '!', ',</w>'] : [t])));
});

test('non-ASCII goes through the byte-to-unicode table: é = C3 A9 -> "Ã" "©</w>"', () => {
  const tok = tinyTokenizer();
  assert.deepEqual(tok.tokenize('é'), ['Ã', '©</w>']);
});

test('ftfy repairs before BPE: quotes, ligatures, full width, NFC, entities, mojibake', () => {
  assert.equal(clipClean('\u201cCurly\u201d \ufb01sh \uff21\uff22\uff23 cafe\u0301 &amp; caf\u00c3\u00a9'), '"curly" fish abc caf\u00e9 & caf\u00e9');
  // With a "<" on the line, ftfy leaves entities alone (it could be markup).
  assert.equal(clipClean('<b> &amp;'), '<b> &amp;');
});

test('special tokens are split out of the raw text: with pad "!", every "!" is the pad id', () => {
  const tok = tinyTokenizer('!');
  const eos = tok.encodeRaw('<|endoftext|>')[0]!;
  assert.deepEqual(tok.encodeRaw('cat!!'), [...tok.encodeRaw('cat'), 36, 36]);
  assert.deepEqual(tok.encodeRaw('a<|endoftext|>cat'), [...tok.encodeRaw('a'), eos, ...tok.encodeRaw('cat')]);
});

test('encode: BOS, EOS, padding with the configured pad token, fixed length', () => {
  const tok = tinyTokenizer('!');
  const ids = tok.encode('a cat');
  assert.equal(ids.length, 77);
  const bos = tok.encodeRaw('<|startoftext|>')[0]!;
  const eos = tok.encodeRaw('<|endoftext|>')[0]!;
  assert.deepEqual([...ids.slice(0, 4)], [bos, ...tok.encodeRaw('a cat'), eos]);
  // The pad token is the bare "!" entry (id 36 here, id 0 in CLIP's vocabulary), not "!</w>".
  assert.equal(tok.padId, 36);
  assert.ok(ids.slice(4).every((v) => v === tok.padId));
  // Without a pad token in the config, CLIP pads with <|endoftext|> (SD 1.x).
  const eosPad = tinyTokenizer();
  assert.equal(eosPad.padId, eos);
});

test('truncation keeps EOS in the last slot', () => {
  const tok = tinyTokenizer('!', 10);
  const ids = tok.encode('a cat a cat a cat a cat a cat');
  const eos = tok.encodeRaw('<|endoftext|>')[0]!;
  assert.equal(ids.length, 10);
  assert.equal(ids[9], eos);
  assert.deepEqual([...ids.slice(1, 9)], tok.encodeRaw('a cat a cat a cat a cat'));
});

test('a vocabulary without the special tokens is rejected', () => {
  assert.throws(() => new ClipTokenizer({ vocab: { a: 0 }, merges: '#v\n' }), /no <\|startoftext\|> token/);
  assert.throws(() => tinyTokenizer('<pad>'), /no <pad> token/);
});
