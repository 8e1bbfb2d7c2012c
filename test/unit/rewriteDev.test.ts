/**
 * Rewrites of the prompts people wrote (../shared/data/prompts-dev): parsed again, each rewrite
 * keeps every relation of the prompt, and every content word (nouns, verbs, adjectives, adverbs,
 * numerals and negations by lemma, quoted text verbatim) is still there; no rewrite adds a
 * structural grammar issue, and every relation the layout plans passes VISOR's, GenEval's and
 * T2I-CompBench's rules. Relations that pass those but not the planner's own contact test (a
 * misread "a cat on a blanket on a bed" asks for one cat on two supports) are counted, and each
 * must come with a note.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parsePrompt } from '../../src/parser/index';
import { compareRewrite, contentWords, missingContent, newGrammarIssues, rewritePrompt } from '../../src/generator/index';
import { sharedData, sharedDataMissing } from './helpers/paths';

const FILES = ['nsr1k-natural-dev.jsonl', 'parti-keyword-dev.jsonl'];

function devPrompts(): Array<{ id: string; text: string }> {
  return FILES.flatMap((f) =>
    fs
      .readFileSync(sharedData('prompts-dev', f), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { id: string; text: string }),
  );
}

test('dev set: every rewrite keeps every relation and every content word, adds no grammar issue, and its layout passes the three rules', { skip: sharedDataMissing('prompts-dev', FILES[0]!) }, () => {
  const prompts = devPrompts();
  assert.ok(prompts.length >= 290, `expected the 295 dev prompts, got ${prompts.length}`);
  const roundTrip: string[] = [];
  const lost: string[] = [];
  const grammar: string[] = [];
  const layout: string[] = [];
  let geometry = 0;
  const rulesMissed: string[] = [];
  let words = 0;
  let kept = 0;
  for (const p of prompts) {
    const parsed = parsePrompt(p.text);
    const r = rewritePrompt(parsed);
    const back = compareRewrite(parsed, parsePrompt(r.text));
    if (!back.ok) roundTrip.push(`${p.id}: ${back.reason}\n    ${r.text}`);
    const total = contentWords(p.text).length;
    const missing = missingContent(p.text, r.text);
    words += total;
    kept += total - missing.length;
    if (missing.length) lost.push(`${p.id}: lost ${missing.map((w) => w.text).join(', ')}\n    ${r.text}`);
    for (const g of newGrammarIssues(p.text, r.text)) grammar.push(`${p.id}: ${g.rule}: ${g.message}\n    ${r.text}`);
    for (const c of r.layout?.checks ?? []) {
      if (r.conflicts.flat().includes(c.relation)) continue;
      const rules = c.visor !== false && c.geneval !== false && (c.t2i === null || c.t2i >= 1);
      if (!rules) rulesMissed.push(`${p.id}: relation ${c.relation} fails a benchmark rule ${JSON.stringify(c)}`);
      else if (!c.satisfied) geometry++;
      // Whatever the planner cannot draw, the person is told.
      if (!c.satisfied && !r.notes.some((n) => n.includes('cannot fully satisfy'))) layout.push(`${p.id}: relation ${c.relation} fails its check without a note`);
    }
  }
  const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(2)}%`;
  console.log(
    `dev set rewrites: round trip ${pct(prompts.length - roundTrip.length, prompts.length)} of ${prompts.length} prompts; ` +
      `content words kept ${kept}/${words} (${pct(kept, words)}), prompts losing none ${pct(prompts.length - lost.length, prompts.length)}; ` +
      `new grammar issues ${grammar.length}; planned relations failing a benchmark rule ${rulesMissed.length}, ` +
      `passing the rules but not the planner's own contact geometry ${geometry}`,
  );
  assert.deepEqual(roundTrip.slice(0, 10), [], `${roundTrip.length} rewrites lost a relation`);
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} rewrites lost content words`);
  assert.deepEqual(grammar.slice(0, 10), [], `${grammar.length} new grammar issues`);
  assert.deepEqual(rulesMissed.slice(0, 10), [], `${rulesMissed.length} planned relations fail VISOR, GenEval or T2I-CompBench`);
  assert.deepEqual(layout.slice(0, 10), [], `${layout.length} planned relations fail unnoted`);
});
