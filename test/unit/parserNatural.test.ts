/**
 * Natural prompts (../shared/data/prompts-dev): prompts people wrote, with gold relations. A prompt
 * counts as read correctly under the rule of ../shared/data/README.md ("prompts-dev: how a prompt
 * counts as read correctly"): every gold triple is among the parser's, with inverses, symmetric
 * relations in either order, the two sides of `between` in either order, and nouns matching when
 * one extends the other by whole words. Each file must reach 95%.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { parsePrompt, type ParsedPrompt } from '../../src/parser';
import { sharedData, sharedDataMissing } from './helpers/paths';

const TARGET = 0.95;
const FILES = ['nsr1k-natural-dev.jsonl', 'parti-keyword-dev.jsonl'];

type Gold = [subject: string, relation: string, object: string, object2?: string];

interface Triple {
  s: string;
  r: string;
  o: string;
  o2?: string;
}

const INVERSE: Readonly<Record<string, string>> = {
  left_of: 'right_of',
  right_of: 'left_of',
  above: 'below',
  below: 'above',
  in_front_of: 'behind',
  behind: 'in_front_of',
  larger_than: 'smaller_than',
  smaller_than: 'larger_than',
};
const SYMMETRIC = new Set(['next_to', 'near', 'far_from']);

/** Equal, or one noun extends the other by whole words ("keyboard" ~ "computer keyboard"). */
function nounsMatch(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  const A = a.split(' ');
  const B = b.split(' ');
  const [short, long] = A.length < B.length ? [A, B] : [B, A];
  for (let i = 0; i + short.length <= long.length; i++) if (short.every((w, j) => long[i + j] === w)) return true;
  return false;
}

/** Whether the parser's triple `t` states the gold triple `g` under the rule above. */
function matches(g: Gold, t: Triple): boolean {
  const [gs, gr, go, go2] = g;
  if (gr === 'between') {
    if (t.r !== 'between' || !nounsMatch(gs, t.s)) return false;
    // A 3-element between has one plural reference ("between two clouds").
    if (go2 === undefined) return nounsMatch(go, t.o) && (t.o2 === undefined || nounsMatch(go, t.o2));
    return (nounsMatch(go, t.o) && nounsMatch(go2, t.o2)) || (nounsMatch(go, t.o2) && nounsMatch(go2, t.o));
  }
  if (t.r === gr && nounsMatch(gs, t.s) && nounsMatch(go, t.o)) return true;
  if (INVERSE[gr] !== undefined && t.r === INVERSE[gr] && nounsMatch(gs, t.o) && nounsMatch(go, t.s)) return true;
  return SYMMETRIC.has(gr) && t.r === gr && nounsMatch(gs, t.o) && nounsMatch(go, t.s);
}

function triplesOf(p: ParsedPrompt): Triple[] {
  const noun = (id: string | undefined): string | undefined => p.objects.find((o) => o.id === id)?.noun;
  return p.relations.map((r) => ({ s: noun(r.subject)!, r: r.relation, o: noun(r.object)!, o2: noun(r.object2) }));
}

test('the matching rule: inverses, symmetric relations, between, whole-word noun extension', () => {
  assert.ok(matches(['cat', 'left_of', 'dog'], { s: 'cat', r: 'left_of', o: 'dog' }));
  assert.ok(matches(['cat', 'left_of', 'dog'], { s: 'dog', r: 'right_of', o: 'cat' }));
  assert.ok(!matches(['cat', 'left_of', 'dog'], { s: 'dog', r: 'left_of', o: 'cat' }));
  assert.ok(matches(['cat', 'next_to', 'dog'], { s: 'dog', r: 'next_to', o: 'cat' }));
  assert.ok(!matches(['cat', 'on', 'dog'], { s: 'dog', r: 'under', o: 'cat' }), '`on` is not the inverse of `under` here');
  assert.ok(!matches(['cat', 'on', 'dog'], { s: 'cat', r: 'above', o: 'dog' }), '`on` is not `above`');
  assert.ok(matches(['keyboard', 'next_to', 'mouse'], { s: 'computer keyboard', r: 'next_to', o: 'mouse' }));
  assert.ok(!matches(['key', 'next_to', 'mouse'], { s: 'keyboard', r: 'next_to', o: 'mouse' }), 'whole words only');
  assert.ok(matches(['cat', 'between', 'dog', 'tree'], { s: 'cat', r: 'between', o: 'tree', o2: 'dog' }));
  assert.ok(matches(['cat', 'between', 'cloud'], { s: 'cat', r: 'between', o: 'cloud' }));
  assert.ok(!matches(['cat', 'between', 'cloud'], { s: 'cat', r: 'between', o: 'cloud', o2: 'tree' }));
});

for (const file of FILES) {
  test(`prompts-dev ${file}: at least ${TARGET * 100}% read correctly`, { skip: sharedDataMissing('prompts-dev', file) }, () => {
    const records = fs
      .readFileSync(sharedData('prompts-dev', file), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { id: string; text: string; relations: Gold[] });
    assert.ok(records.length > 50, `expected the dev set, got ${records.length} records`);
    const misses: string[] = [];
    for (const r of records) {
      const got = triplesOf(parsePrompt(r.text));
      if (r.relations.every((g) => got.some((t) => matches(g, t)))) continue;
      const read = got.map((t) => `${t.r}(${t.s}, ${t.o}${t.o2 ? `, ${t.o2}` : ''})`).join(' ');
      misses.push(`${r.id}: ${r.text}\n      gold: ${r.relations.map((g) => g.join(' ')).join('; ')}\n      read: ${read || '(none)'}`);
    }
    const ok = records.length - misses.length;
    process.stdout.write(`# ${file}: ${ok}/${records.length} read correctly (${((100 * ok) / records.length).toFixed(1)}%)\n`);
    for (const m of misses) process.stdout.write(`#   miss ${m.replace(/\n/g, '\n#   ')}\n`);
    assert.ok(ok >= TARGET * records.length, `${file}: ${ok}/${records.length} is below ${TARGET * 100}%`);
  });
}
