import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { ClipTokenizer } from '../../src/render';
import { fixture } from './helpers/paths';

/**
 * The real CLIP BPE files (open-clip-torch's bpe_simple_vocab_16e6) and transformers'
 * CLIPTokenizer ids for 3449 prompts (hand-written edge cases, SR2D, T2I-CompBench), recorded by
 * the project's Python reference script. Every id of every line must match.
 */
const dir = fixture('clip-tokenizer');
const missing = fs.existsSync(`${dir}/reference.jsonl.gz`) ? false : `no tokenizer reference at ${dir}`;

function gunzip(file: string): string {
  return zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
}

test('CLIP tokenizer matches transformers CLIPTokenizer on every reference prompt', { skip: missing }, () => {
  const config = JSON.parse(fs.readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as { pad_token: string; model_max_length: number };
  const tok = new ClipTokenizer({
    vocab: JSON.parse(gunzip(`${dir}/vocab.json.gz`)) as Record<string, number>,
    merges: gunzip(`${dir}/merges.txt.gz`),
    padToken: config.pad_token,
    maxLength: config.model_max_length,
  });
  const lines = gunzip(`${dir}/reference.jsonl.gz`).split('\n').filter((l) => l.trim());
  assert.ok(lines.length > 3000, `expected thousands of reference prompts, got ${lines.length}`);
  const failures: string[] = [];
  for (const line of lines) {
    const { text, ids } = JSON.parse(line) as { text: string; ids: number[] };
    const got = [...tok.encode(text)];
    if (got.join(',') !== ids.join(',')) failures.push(`${JSON.stringify(text)}\n  want ${ids.filter((v, i) => v !== 0 || i === 0).join(' ')}\n  got  ${got.filter((v, i) => v !== 0 || i === 0).join(' ')}`);
  }
  assert.equal(failures.length, 0, `${failures.length} of ${lines.length} prompts differ:\n${failures.slice(0, 15).join('\n')}`);
});
