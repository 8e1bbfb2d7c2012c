/**
 * Parser throughput: parsePrompt vs compromise's own `nlp(text).json()` on the same 10,000 prompts
 * in the same process, and the re-analysis time of a one-line edit in a 10,000-line document.
 */
import * as fs from 'node:fs';
import nlp from 'compromise';
import { DocumentAnalyzer, parsePrompt } from '../src/parser';
import { median, sharedFile, timeRuns, type BenchSection } from './harness';

const N = 10_000;

/** 10,000 prompts: SR2D and T2I-CompBench when present (every 3rd SR2D record), else generated. */
function loadPrompts(): { prompts: string[]; source: string } {
  const prompts: string[] = [];
  const t2i = [sharedFile('t2i-compbench', 'spatial_train.txt'), sharedFile('t2i-compbench', '3d_spatial_train.txt')];
  for (const f of t2i) if (f) prompts.push(...fs.readFileSync(f, 'utf8').split(/\r?\n/).filter((l) => l.trim()));
  const sr2d = sharedFile('sr2d', 'text_spatial_rel_phrases.json');
  if (sr2d) {
    const records = JSON.parse(fs.readFileSync(sr2d, 'utf8')) as Array<{ text: string }>;
    for (let i = 0; prompts.length < N && i < records.length; i += 3) prompts.push(records[i].text);
  }
  const source = prompts.length > 0 ? 'SR2D + T2I-CompBench' : 'generated';
  const nouns = ['cat', 'dog', 'teddy bear', 'wine glass', 'chair', 'lamp', 'bookcase', 'traffic light'];
  const rels = ['to the left of', 'above', 'behind', 'next to', 'on the top of', 'far away from'];
  for (let i = 0; prompts.length < N; i++) {
    const a = nouns[i % nouns.length];
    const b = nouns[(i * 7 + 3) % nouns.length];
    prompts.push(`a red ${a} ${rels[i % rels.length]} two ${b}s. The ${a} is bigger than it.`);
  }
  return { prompts: prompts.slice(0, N), source };
}

const section: BenchSection = {
  name: 'parser',
  async run() {
    const { prompts, source } = loadPrompts();
    // Same prompts, same process, alternating order so neither side gets a warmer JIT.
    const ours = await timeRuns(() => { for (const p of prompts) parsePrompt(p); }, 3, 1);
    const theirs = await timeRuns(() => { for (const p of prompts) nlp(p).json(); }, 1, 0);
    const oursMs = median(ours);
    const theirsMs = median(theirs);

    const lines = prompts.map((p, i) => `${p} #${i}`);
    const analyzer = new DocumentAnalyzer();
    const full = await timeRuns(() => { analyzer.clear(); analyzer.update(lines.join('\n')); }, 1, 0);
    let k = 0;
    const edits = await timeRuns(
      () => {
        lines[5000] = `a cat to the left of a dog number ${k++}`;
        analyzer.update(lines.join('\n'));
      },
      21,
      2,
    );
    // Linear growth: 4x the input should cost about 4x (was a timed assert in the tests).
    const unit = 'A cat sits to the left of a dog, the dog is above two red chairs. ';
    const small = unit.repeat(12);
    const large = unit.repeat(48);
    const tSmall = median(await timeRuns(() => { for (let i = 0; i < 20; i++) parsePrompt(small); }, 5, 1));
    const tLarge = median(await timeRuns(() => { for (let i = 0; i < 20; i++) parsePrompt(large); }, 5, 1));
    const doc = (n: number): string => Array.from({ length: n }, (_, i) => `a cat left of a dog number ${i}`).join('\n');
    const dSmall = median(await timeRuns(() => new DocumentAnalyzer().update(doc(1000)), 3, 1));
    const dLarge = median(await timeRuns(() => new DocumentAnalyzer().update(doc(4000)), 3, 1));
    return {
      'prompts': `${prompts.length} (${source})`,
      'parsePrompt: 4x the prompt length, time ratio (linear: ~4)': (tLarge / tSmall).toFixed(2),
      'DocumentAnalyzer: 4x the lines, time ratio (linear: ~4)': (dLarge / dSmall).toFixed(2),
      'parsePrompt: total ms': oursMs.toFixed(0),
      'parsePrompt: prompts/s': Math.round((prompts.length / oursMs) * 1000),
      'compromise nlp(text).json(): total ms': theirsMs.toFixed(0),
      'compromise nlp(text).json(): prompts/s': Math.round((prompts.length / theirsMs) * 1000),
      'time ratio parsePrompt / compromise (target <= 2)': (oursMs / theirsMs).toFixed(3),
      'DocumentAnalyzer: 10,000-line document, first analysis ms': median(full).toFixed(0),
      'DocumentAnalyzer: one-line edit re-analysis, median ms (target < 20)': median(edits).toFixed(2),
      'DocumentAnalyzer: one-line edit re-analysis, max ms': edits[edits.length - 1].toFixed(2),
    };
  },
};
export default section;
