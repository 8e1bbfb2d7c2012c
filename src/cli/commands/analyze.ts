/** `spright-lens analyze`: objects, relations and problems of every prompt in prompt files. */
import { parsePrompt, type ParsedPrompt, type PromptRecord } from '../../parser';
import { parseFlags } from '../args';
import type { CliContext, Command } from '../command';
import { UsageError } from '../command';
import { ChunkedWriter, streamPromptInputs } from '../io';

const USAGE = `Usage: spright-lens analyze [FILE...|-] [--format jsonl|text]

Parses every prompt in the given prompt files and prints its objects, spatial relations and
problems (contradiction, vague, unknown-relation).

Files: .prompt, .prompts, .txt (one prompt a line, # comments) or .jsonl (each line a JSON object
with a "prompt" or "text" field). "-" (or no FILE when input is piped) reads prompt lines from stdin.

Options:
  -f, --format jsonl|text   jsonl (default): one JSON record a prompt with source, line (1-based),
                            text, objects, relations, diagnostics. text: a readable block a prompt.
  -h, --help                this help

Exit status: 0 when every file was read (prompt problems are reported, not failures); 2 for bad
arguments or an unreadable file (missing, not UTF-8 text, bad JSONL line).

Examples:
  spright-lens analyze examples/spatial.prompts --format text
  echo "a cat to the left of a dog" | spright-lens analyze -
`;


/** The readable block for one prompt: header, objects, relations, problems. */
export function formatText(record: PromptRecord, parsed: ParsedPrompt): string {
  const lines = [`${record.source}:${record.line}: ${record.text}`];
  const objects = parsed.objects.map((o) => {
    const extra = [o.count !== null && o.count !== 1 ? `x${o.count}` : '', ...o.attributes].filter(Boolean).join(', ');
    return extra ? `${o.id} (${extra})` : o.id;
  });
  lines.push(`  objects:   ${objects.length ? objects.join('; ') : '(none)'}`);
  const relations = parsed.relations.map((r) => `${r.relation}(${r.subject}, ${r.object}${r.object2 ? `, ${r.object2}` : ''})`);
  lines.push(`  relations: ${relations.length ? relations.join('; ') : '(none)'}`);
  for (const d of parsed.diagnostics) {
    lines.push(`  ${d.severity} ${d.code} (col ${d.span[0] + 1}): ${d.message}`);
  }
  return lines.join('\n') + '\n\n';
}

const command: Command = {
  name: 'analyze',
  summary: 'parse prompt files: objects, spatial relations, contradictions and vague prompts',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      options: { format: { type: 'string', short: 'f', default: 'jsonl' } },
      allowPositionals: true,
      strict: true,
    });
    const format = values.format ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'text') {
      throw new UsageError(`unknown --format '${format}'; use jsonl or text`);
    }
    // Records stream through with flat memory; files are checked whole before the first output.
    const out = new ChunkedWriter(ctx.stdout);
    for await (const block of streamPromptInputs(positionals, ctx)) {
      for (const record of block) {
        if (ctx.signal.aborted) break;
        const parsed = parsePrompt(record.text);
        await out.write(
          format === 'jsonl'
            ? JSON.stringify({ source: record.source, line: record.line, ...parsed }) + '\n'
            : formatText(record, parsed),
        );
      }
    }
    await out.flush();
    return ctx.signal.aborted ? 130 : 0;
  },
};


export default command;
