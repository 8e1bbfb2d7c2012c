/**
 * The LanguageTool-checked rewrites (test/fixtures/generator/rewrites.golden.jsonl, written by
 * tools/grammar/check-rewrites.mjs from the dev set and the prompt fixtures). LanguageTool needs
 * Java and Maven Central, which CI does not have, so CI holds every rewrite to the checked text
 * instead: a rewrite that changed must be checked again by the script. The fast structural checks
 * and the content-word check run here on every rewrite as well.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parsePrompt } from '../../src/parser/index';
import { missingContent, newGrammarIssues, rewritePrompt } from '../../src/generator/index';
import { fixture } from './helpers/paths';

interface GoldenHeader {
  languagetool: string;
  seed: number;
  size: string;
}

interface GoldenRecord {
  source: string;
  prompt: string;
  rewrite: string;
  verdict: 'ok' | 'new-matches';
  new: Array<{ rule: string; message: string; words: string }>;
}

function golden(): { header: GoldenHeader; records: GoldenRecord[] } {
  const [first, ...rest] = fs.readFileSync(fixture('generator', 'rewrites.golden.jsonl'), 'utf8').split('\n').filter(Boolean);
  return { header: JSON.parse(first!) as GoldenHeader, records: rest.map((l) => JSON.parse(l) as GoldenRecord) };
}

const RECHECK = 'rerun `npx tsc -b && node tools/grammar/check-rewrites.mjs` and review the diff of the golden file';

test('the golden file covers the dev set and the fixtures, and LanguageTool found no new error in any rewrite', () => {
  const { header, records } = golden();
  assert.match(header.languagetool, /^\d+\.\d+/);
  assert.ok(records.filter((r) => r.source.startsWith('prompts-dev/')).length >= 290, 'expected the 295 dev-set prompts');
  assert.ok(records.some((r) => r.source.startsWith('test/fixtures/generator/roundtrip.prompts')));
  const flagged = records.filter((r) => r.verdict !== 'ok' || r.new.length > 0);
  assert.deepEqual(
    flagged.slice(0, 10).map((r) => `${r.source}: ${r.new.map((m) => `${m.rule} "${m.words}"`).join(', ')}`),
    [],
    `${flagged.length} rewrites have LanguageTool matches their prompt does not have`,
  );
});

test('every rewrite is still the one LanguageTool checked', () => {
  const { header, records } = golden();
  const [width, height] = header.size.split('x').map(Number);
  const changed: string[] = [];
  for (const r of records) {
    const now = rewritePrompt(parsePrompt(r.prompt), { seed: header.seed, width, height }).text;
    if (now !== r.rewrite) changed.push(`${r.source}\n    checked: ${r.rewrite}\n    now:     ${now}`);
  }
  assert.deepEqual(changed.slice(0, 5), [], `${changed.length} rewrites changed since they were checked; ${RECHECK}`);
});

test('every checked rewrite keeps every content word and passes the structural grammar checks', () => {
  const problems: string[] = [];
  for (const r of golden().records) {
    const missing = missingContent(r.prompt, r.rewrite);
    if (missing.length) problems.push(`${r.source}: lost ${missing.map((w) => w.text).join(', ')}`);
    for (const g of newGrammarIssues(r.prompt, r.rewrite)) problems.push(`${r.source}: ${g.message}`);
  }
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
});
