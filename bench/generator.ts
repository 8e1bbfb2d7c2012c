/**
 * Generator throughput: layout planning and SPRIGHT-style rewriting of 10,000 parsed prompts, with
 * parsing alone measured in the same process as the baseline the ratios are taken against.
 */
import * as fs from 'node:fs';
import { parsePrompt, type ParsedPrompt } from '../src/parser';
import { planLayout, rewritePrompt } from '../src/generator';
import { median, sharedFile, timeRuns, type BenchSection } from './harness';

const N = 10_000;

/** 10,000 prompts: T2I-CompBench and every 3rd SR2D record when present, topped up with richer generated scenes. */
function loadPrompts(): { prompts: string[]; source: string } {
  const prompts: string[] = [];
  for (const f of [sharedFile('t2i-compbench', 'spatial_train.txt'), sharedFile('t2i-compbench', '3d_spatial_train.txt')]) {
    if (f) prompts.push(...fs.readFileSync(f, 'utf8').split(/\r?\n/).filter((l) => l.trim()));
  }
  const sr2d = sharedFile('sr2d', 'text_spatial_rel_phrases.json');
  if (sr2d) {
    const records = JSON.parse(fs.readFileSync(sr2d, 'utf8')) as Array<{ text: string }>;
    for (let i = 0; prompts.length < N * 0.8 && i < records.length; i += 3) prompts.push(records[i]!.text);
  }
  const source = prompts.length ? 'SR2D + T2I-CompBench + 20% generated scenes' : 'generated scenes';
  const nouns = ['cat', 'dog', 'teddy bear', 'wine glass', 'chair', 'lamp', 'bookcase', 'table', 'vase', 'tree'];
  for (let i = 0; prompts.length < N; i++) {
    const [a, b, c, d] = [0, 3, 5, 7].map((k) => nouns[(i * (k + 1) + k) % nouns.length]!);
    prompts.push(`two red ${a}s on a ${b} next to a ${c}, a ${d} above the ${b} and a small ${nouns[i % nouns.length]} far from the ${c}`);
  }
  return { prompts: prompts.slice(0, N), source };
}

/** The dev set's natural prompts (MS-COCO captions, PartiPrompts), when ../shared/data is there. */
function naturalPrompts(): string[] {
  return ['nsr1k-natural-dev.jsonl', 'parti-keyword-dev.jsonl'].flatMap((f) => {
    const file = sharedFile('prompts-dev', f);
    if (!file) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { text: string }).text);
  });
}

const section: BenchSection = {
  name: 'generator',
  async run() {
    const { prompts, source } = loadPrompts();
    let parsed: ParsedPrompt[] = [];
    const parse = median(await timeRuns(() => (parsed = prompts.map((p) => parsePrompt(p))), 3, 1));
    const layout = median(await timeRuns(() => { for (const p of parsed) planLayout(p); }, 3, 1));
    const rewrite = median(await timeRuns(() => { for (const p of parsed) rewritePrompt(p); }, 3, 1));
    const perSecond = (ms: number): string => `${Math.round((prompts.length / ms) * 1000).toLocaleString('en-US')} prompts/s`;
    const layouts = parsed.map((p) => planLayout(p));
    const checks = layouts.flatMap((r) => (r.ok ? r.layout.checks : []));
    // Natural prompts are longer and keep the person's sentences, so the re-parse that checks
    // each rewrite costs more there: measured apart, same process, same baseline rule.
    const natural = naturalPrompts();
    const naturalRows: Record<string, string> = {};
    if (natural.length) {
      let naturalParsed: ParsedPrompt[] = [];
      const nParse = median(await timeRuns(() => { for (let k = 0; k < 10; k++) naturalParsed = natural.map((p) => parsePrompt(p)); }, 3, 1));
      const nRewrite = median(await timeRuns(() => { for (let k = 0; k < 10; k++) for (const p of naturalParsed) rewritePrompt(p); }, 3, 1));
      naturalRows[`natural prompts (dev set, ${natural.length} x 10): parse`] = `${nParse.toFixed(0)} ms`;
      naturalRows['natural prompts: rewritePrompt'] = `${nRewrite.toFixed(0)} ms, ${(nRewrite / nParse).toFixed(2)}x parse`;
    }
    return {
      prompts: `${prompts.length} (${source})`,
      'parse (baseline)': `${parse.toFixed(0)} ms, ${perSecond(parse)}`,
      'planLayout': `${layout.toFixed(0)} ms, ${perSecond(layout)}, ${(layout / parse).toFixed(2)}x parse`,
      'rewritePrompt (plans its own layout)': `${rewrite.toFixed(0)} ms, ${perSecond(rewrite)}, ${(rewrite / parse).toFixed(2)}x parse`,
      'parse + rewrite end to end': `${perSecond(parse + rewrite)}`,
      'relations satisfied (all 3 rules + geometry)': `${checks.filter((c) => c.satisfied).length}/${checks.length}`,
      ...naturalRows,
    };
  },
};

export default section;
