/** `spright-lens rewrite`: SPRIGHT-style rewrites and planned layouts for every prompt in prompt files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { layoutToSvg, rewritePrompt, type Layout } from '../../generator';
import { parsePrompt, type PromptRecord } from '../../parser';
import { ChunkedWriter, streamPromptInputs } from '../io';
import { writeFileAtomic } from '../../io/atomic';
import { fsProblem, makeDirs } from '../../io/outputDir';
import { parseFlags } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';

const USAGE = `Usage: spright-lens rewrite [FILE...|-] [--seed N] [--size WxH] [--svg DIR] [--format jsonl|text]

Rewrites every prompt as a SPRIGHT-style description (two or more plain sentences that name every
object with its count and attributes, state every relation with left/right, above/below, in
front/behind, near/far, inside words, place unrelated objects and compare sizes) and plans a layout
(one box per object instance) in which every relation holds under VISOR's, GenEval's and
T2I-CompBench's rules. Contradictory relations are left out; the record's notes say which.

Files: .prompt, .prompts, .txt (one prompt a line, # comments) or .jsonl (a "prompt" or "text"
field a line). "-" (or no FILE when input is piped) reads prompt lines from stdin.

Options:
  --seed N                  picks among the phrasings and orders unrelated objects (default 0);
                            the same seed gives the same output
  --size WxH                layout canvas in pixels (default 768x768, SPRIGHT's resolution)
  --svg DIR                 also write one SVG of the layout per prompt to DIR, named
                            <file name>-<line>.svg
  -f, --format jsonl|text   jsonl (default): {source, line, text, rewrite, layout: {width, height,
                            boxes: [{id, noun, x, y, w, h}]}} plus notes and conflicts when any;
                            text: a readable block a prompt
  -h, --help                this help

Exit status: 0 when every file was read; 2 for bad arguments or an unreadable file.

Examples:
  spright-lens rewrite examples/spatial.prompts --format text
  echo "a cat on a table next to a lamp" | spright-lens rewrite - --svg layouts/
`;

interface RewriteRecord {
  source: string;
  line: number;
  text: string;
  rewrite: string;
  layout: {
    width: number;
    height: number;
    boxes: Array<{ id: string; noun: string; x: number; y: number; w: number; h: number }>;
  } | null;
  notes?: string[];
  conflicts?: number[][];
}

function parseSeed(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff) throw new UsageError(`--seed must be a whole number from 0 to 4294967295, got '${value}'`);
  return Number(value);
}

function parseSize(value: string | undefined): { width: number; height: number } {
  if (value === undefined) return { width: 768, height: 768 };
  const m = /^(\d{1,5})x(\d{1,5})$/i.exec(value.trim());
  const width = m ? Number(m[1]) : NaN;
  const height = m ? Number(m[2]) : NaN;
  if (!m || width < 16 || height < 16 || width > 16384 || height > 16384) {
    throw new UsageError(`--size must be WIDTHxHEIGHT in pixels, each 16..16384 (e.g. 768x768), got '${value}'`);
  }
  return { width, height };
}



function formatText(record: RewriteRecord, full: Layout | null): string {
  const lines = [`${record.source}:${record.line}: ${record.text}`, `  rewrite: ${record.rewrite}`];
  if (full) {
    const boxes = full.boxes.map((b) => `${b.id} [${b.x},${b.y} ${b.w}x${b.h}]`).join('; ');
    lines.push(`  layout ${full.width}x${full.height}: ${boxes || '(empty)'}`);
    const failing = full.checks.filter((c) => !c.satisfied).map((c) => c.relation);
    lines.push(`  checks: ${full.checks.length - failing.length}/${full.checks.length} relations hold${failing.length ? ` (not: ${failing.join(', ')})` : ''}`);
  }
  for (const note of record.notes ?? []) lines.push(`  note: ${note}`);
  return lines.join('\n') + '\n\n';
}

/** `<file name>-<line>`, safe on every file system, unique within this run. */
function svgName(record: PromptRecord, used: Set<string>): string {
  const stem = record.source === '<stdin>' ? 'stdin' : path.basename(record.source).replace(/\.[^.]+$/, '');
  const base = `${stem.replace(/[^A-Za-z0-9._-]+/g, '_') || 'prompt'}-${record.line}`;
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
  used.add(name);
  return name;
}

const command: Command = {
  name: 'rewrite',
  summary: 'rewrite prompts SPRIGHT-style and plan a layout that satisfies every relation',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      options: {
        seed: { type: 'string' },
        size: { type: 'string' },
        svg: { type: 'string' },
        format: { type: 'string', short: 'f', default: 'jsonl' },
      },
      allowPositionals: true,
      strict: true,
    });
    const format = values.format ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'text') throw new UsageError(`unknown --format '${format}'; use jsonl or text`);
    const seed = parseSeed(values.seed);
    const size = parseSize(values.size);
    const svgDir = values.svg === undefined ? null : path.resolve(ctx.cwd, values.svg);
    if (values.svg === '') throw new UsageError('--svg needs a folder name');
    if (svgDir && fs.existsSync(svgDir) && !fs.statSync(svgDir).isDirectory()) {
      throw new InputError(`--svg ${values.svg}: exists and is not a folder; pass a folder for the SVG files`);
    }

    // Records stream through with flat memory; files are checked whole before the first output.
    const records = streamPromptInputs(positionals, ctx);
    const firstRecord = await records.next();
    if (svgDir) {
      try {
        await makeDirs(svgDir);
      } catch (err) {
        throw new InputError(
          `--svg ${values.svg}: cannot create the folder (${fsProblem(err)}); give --svg a folder you can write to`,
        );
      }
    }

    // SVG names are unique per run; the set holds one short string per prompt with a layout.
    const used = new Set<string>();
    const writer = new ChunkedWriter(ctx.stdout);
    for (let next = firstRecord; !next.done && !ctx.signal.aborted; next = await records.next()) {
      for (const record of next.value) {
        if (ctx.signal.aborted) break;
        const parsed = parsePrompt(record.text);
        const result = rewritePrompt(parsed, { seed, ...size });
        const out: RewriteRecord = {
          source: record.source,
          line: record.line,
          text: record.text,
          rewrite: result.text,
          layout: result.layout && {
            width: result.layout.width,
            height: result.layout.height,
            boxes: result.layout.boxes.map(({ id, noun, x, y, w, h }) => ({ id, noun, x, y, w, h })),
          },
        };
        if (result.notes.length) out.notes = result.notes;
        if (result.conflicts.length) out.conflicts = result.conflicts;
        await writer.write(format === 'jsonl' ? JSON.stringify(out) + '\n' : formatText(out, result.layout));
        if (svgDir && result.layout) {
          const file = path.join(svgDir, `${svgName(record, used)}.svg`);
          await writeFileAtomic(file, layoutToSvg(result.layout, { title: record.text }));
        }
      }
    }
    await writer.flush();
    return ctx.signal.aborted ? 130 : 0;
  },
};

export default command;
