import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parsePrompt } from '../../src/parser/index';
import { compareRewrite, rewritePrompt } from '../../src/generator/index';
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

function roundTrip(prompt: string, seed: number): string | null {
  const parsed = parsePrompt(prompt);
  const rewrite = rewritePrompt(parsed, { seed });
  const sentences = rewrite.text.split(/(?<=\.)\s+/).filter(Boolean);
  if (parsed.objects.length && sentences.length < 2) return `only ${sentences.length} sentence(s): ${rewrite.text}`;
  const result = compareRewrite(parsed, parsePrompt(rewrite.text));
  if (!result.ok) return `${result.reason}\n    prompt:  ${prompt}\n    rewrite: ${rewrite.text}`;
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
