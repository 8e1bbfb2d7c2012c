import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parsePrompt } from '../../src/parser/index';
import { compareRewrite, newGrammarIssues, rewritePrompt } from '../../src/generator/index';
import { fixture, sharedData, sharedDataMissing } from './helpers/paths';

/** Every prompt of the shared benchmark prompt sets: SR2D (31,680) and T2I-CompBench's spatial train files. */
function sharedPrompts(): string[] {
  const sr2d = JSON.parse(fs.readFileSync(sharedData('sr2d', 'text_spatial_rel_phrases.json'), 'utf8')) as Array<{ text: string }>;
  const t2i = ['spatial_train.txt', '3d_spatial_train.txt'].flatMap((f) =>
    fs
      .readFileSync(sharedData('t2i-compbench', f), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return [...sr2d.map((r) => r.text), ...t2i];
}

/** The first word of `prompt` that `rewrite` does not repeat in the same order, or null. */
function wordsOutOfOrder(prompt: string, rewrite: string): string | null {
  const words = (t: string): string[] => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const have = words(rewrite);
  let at = 0;
  for (const w of words(prompt)) {
    while (at < have.length && have[at] !== w) at++;
    if (at === have.length) return w;
    at++;
  }
  return null;
}

function roundTrip(prompt: string, seed: number): string | null {
  const parsed = parsePrompt(prompt);
  const rewrite = rewritePrompt(parsed, { seed });
  const sentences = rewrite.text.split(/(?<=\.)\s+/).filter(Boolean);
  if (parsed.objects.length && sentences.length < 2) return `only ${sentences.length} sentence(s): ${rewrite.text}`;
  const result = compareRewrite(parsed, parsePrompt(rewrite.text));
  if (!result.ok) return `${result.reason}\n    prompt:  ${prompt}\n    rewrite: ${rewrite.text}`;
  // Every word of the prompt is still there, in the person's order; nothing ungrammatical is added.
  const lost = wordsOutOfOrder(prompt, rewrite.text);
  if (lost) return `lost or moved "${lost}"\n    prompt:  ${prompt}\n    rewrite: ${rewrite.text}`;
  const grammar = newGrammarIssues(prompt, rewrite.text);
  if (grammar.length) return `grammar: ${grammar[0]!.message}\n    rewrite: ${rewrite.text}`;
  // The planned layout must satisfy every relation under VISOR, GenEval and T2I at once.
  const failing = rewrite.layout?.checks.filter((c) => !c.satisfied) ?? [];
  return failing.length ? `layout check failed: ${JSON.stringify(failing)}\n    prompt:  ${prompt}` : null;
}

test(
  'round trip over every shared prompt: parse(rewrite(p)) keeps objects, counts and relations, no contradiction; every layout check passes',
  { skip: sharedDataMissing('sr2d', 'text_spatial_rel_phrases.json') || sharedDataMissing('t2i-compbench', 'spatial_train.txt'), timeout: 600_000 },
  () => {
    const prompts = sharedPrompts();
    assert.ok(prompts.length > 33_000, `expected the full prompt sets, got ${prompts.length}`);
    const started = Date.now();
    const failures: string[] = [];
    prompts.forEach((p, i) => {
      const why = roundTrip(p, i);
      if (why) failures.push(why);
    });
    const rate = (100 * (prompts.length - failures.length)) / prompts.length;
    console.log(`round trip: ${prompts.length - failures.length}/${prompts.length} prompts (${rate.toFixed(2)}%) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} prompts failed the round trip`);
  },
);

test('round trip on hand-written prompts in many phrasings and seeds', () => {
  const prompts = fs
    .readFileSync(fixture('generator', 'roundtrip.prompts'), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.startsWith('#'));
  assert.ok(prompts.length >= 20);
  const failures: string[] = [];
  for (const p of prompts) for (let seed = 0; seed < 8; seed++) {
    const why = roundTrip(p, seed);
    if (why) failures.push(`seed ${seed}: ${why}`);
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed`);
});
