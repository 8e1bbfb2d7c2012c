/** `spright-lens analyze`: objects, relations and problems of every prompt in prompt files. */
import { parseArgs } from 'node:util';
import {
  parsePrompt,
  PromptFileError,
  readPromptFile,
  readPromptSource,
  type ParsedPrompt,
  type PromptRecord,
} from '../../parser';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';

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

async function readStdin(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

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
    let values: { format?: string };
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: { format: { type: 'string', short: 'f', default: 'jsonl' } },
        allowPositionals: true,
        strict: true,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const format = values.format ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'text') {
      throw new UsageError(`unknown --format '${format}'; use jsonl or text`);
    }
    const stdinIsTTY = (ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean }).isTTY === true;
    const files = positionals.length > 0 ? positionals : stdinIsTTY ? [] : ['-'];
    if (files.length === 0) throw new UsageError('no input: pass prompt files, or - to read prompts from stdin');
    if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' (stdin) can be given only once");

    // Read every input first, so that a bad file fails the run before any output is written.
    const records: PromptRecord[] = [];
    for (const file of files) {
      try {
        if (file === '-') records.push(...readPromptSource(await readStdin(ctx.stdin), '<stdin>'));
        else {
          const path = require('node:path') as typeof import('node:path');
          const resolved = path.resolve(ctx.cwd, file);
          records.push(...readPromptFile(resolved).map((r) => ({ ...r, source: file })));
        }
      } catch (err) {
        if (err instanceof PromptFileError) {
          throw new InputError(file === '-' ? err.message : err.message.replace(err.file, file));
        }
        throw err;
      }
    }

    let buffer = '';
    for (const record of records) {
      if (ctx.signal.aborted) break;
      const parsed = parsePrompt(record.text);
      buffer +=
        format === 'jsonl'
          ? JSON.stringify({ source: record.source, line: record.line, ...parsed }) + '\n'
          : formatText(record, parsed);
      if (buffer.length > 1 << 16) {
        await write(ctx.stdout, buffer);
        buffer = '';
      }
    }
    if (buffer) await write(ctx.stdout, buffer);
    return ctx.signal.aborted ? 130 : 0;
  },
};

/** Writes and waits for the stream to drain, so a large run does not buffer everything in memory. */
function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}

export default command;
