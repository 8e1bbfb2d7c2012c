/**
 * Parser throughput: parsePrompt vs compromise's own `nlp(text).json()` on the same prompts in the
 * same process (10,000 templated benchmark prompts, and the natural prompts of prompts-dev or a
 * built-in natural set), and the re-analysis time of a one-line edit in a 10,000-line document.
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

// Natural prompts when ../shared/data/prompts-dev is absent: our own sentences in the same styles.
const BUILT_IN_NATURAL = [
  'A boy holding a kite stands next to a girl on the beach at sunset.',
  'A photograph of the inside of a train. There are two cats sitting on the seats. One of them is asleep.',
  'a brown and white horse grazing in a meadow next to a run down barn',
  'A cozy kitchen with a kettle on the stove and a cat under the table, oil painting.',
  'a slice of cake on a plate next to a cup of coffee',
  'Above the sink hangs a mirror and to its right is a towel rack.',
  'from left to right: an apple, a pear and a banana',
  'A man wearing a hat, a scarf and boots walks his dog past a bakery.',
  'a neon sign that says "open late" above the door of a diner at night',
  'A lamp on a desk. It is to the left of a monitor, not behind it.',
];

/** Natural prompts, each repeated so that timings are stable: prompts-dev when present. */
function loadNatural(): { prompts: string[]; source: string } {
  const texts: string[] = [];
  for (const f of ['nsr1k-natural-dev.jsonl', 'parti-keyword-dev.jsonl']) {
    const file = sharedFile('prompts-dev', f);
    if (!file) continue;
    for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
  }
  const source = texts.length > 0 ? 'prompts-dev' : 'built-in natural';
  const base = texts.length > 0 ? texts : BUILT_IN_NATURAL;
  const prompts: string[] = [];
  for (let i = 0; prompts.length < 2000; i++) prompts.push(base[i % base.length]);
  return { prompts, source };
}

const section: BenchSection = {
  name: 'parser',
  async run() {
    const { prompts, source } = loadPrompts();
    const natural = loadNatural();
    const oursNatural = median(await timeRuns(() => { for (const p of natural.prompts) parsePrompt(p); }, 3, 1));
    const theirsNatural = median(await timeRuns(() => { for (const p of natural.prompts) nlp(p).json(); }, 1, 0));
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
      'time ratio parsePrompt / compromise (target <= 1)': (oursMs / theirsMs).toFixed(3),
      'natural prompts': `${natural.prompts.length} (${natural.source})`,
      'natural: parsePrompt prompts/s': Math.round((natural.prompts.length / oursNatural) * 1000),
      'natural: compromise nlp(text).json() prompts/s': Math.round((natural.prompts.length / theirsNatural) * 1000),
      'natural: time ratio parsePrompt / compromise (target <= 1)': (oursNatural / theirsNatural).toFixed(3),
      'DocumentAnalyzer: 10,000-line document, first analysis ms': median(full).toFixed(0),
      'DocumentAnalyzer: one-line edit re-analysis, median ms (target < 20)': median(edits).toFixed(2),
      'DocumentAnalyzer: one-line edit re-analysis, max ms': edits[edits.length - 1].toFixed(2),
    };
  },
};
export default section;
