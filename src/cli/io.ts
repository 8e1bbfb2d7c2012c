/** Input and output helpers shared by the prompt-reading commands (analyze, rewrite). */
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import type { CliContext } from './command';
import { InputError, UsageError } from './command';
import { promptFileReadError, PromptFileError, readPromptSource } from '../parser';
import type { PromptRecord } from '../parser';

export async function readStdin(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Bytes read at a time; a block of whole lines is parsed, then dropped. */
const BLOCK = 1 << 20;

/**
 * Blocks of whole lines (each ending with "\n", except perhaps the last) from a byte stream; one
 * line longer than a block becomes one block of its own.
 */
async function* lineBlocks(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const cut = bytes.lastIndexOf(0x0a);
    if (cut < 0) {
      pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
      continue;
    }
    yield pending.length ? Buffer.concat([pending, bytes.subarray(0, cut + 1)]) : bytes.subarray(0, cut + 1);
    pending = bytes.subarray(cut + 1);
  }
  if (pending.length) yield pending;
}

/** Line breaks in a block as the prompt-file reader counts them: \n, \r\n and a lone \r. */
function lineBreaks(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) n++;
    else if (b[i] === 0x0d && b[i + 1] !== 0x0a) n++;
  }
  return n;
}

/** A file that cannot be opened, with the prompt-file reader's own wording for why, as `name` shows it. */
function openError(name: string, err: unknown): InputError {
  return new InputError(promptFileReadError(name, err).message);
}

/**
 * The prompt records of one source, read a block of lines at a time with the parser's own
 * prompt-file rules, so memory stays flat for any number of lines. Line numbers and byte offsets
 * in messages count from the start of the source.
 */
async function* sourceRecords(name: string, stream: AsyncIterable<Buffer | string>): AsyncGenerator<PromptRecord[]> {
  let line = 0;
  let offset = 0;
  try {
    for await (const block of lineBlocks(stream)) {
      let records: PromptRecord[];
      try {
        records = readPromptSource(block, name);
      } catch (err) {
        if (!(err instanceof PromptFileError)) throw err;
        const local = err.line ?? 1;
        const message = err.message
          .replace(`${name}:${local}:`, `${name}:${local + line}:`)
          .replace(/offset (\d+)/, (_m, n: string) => `offset ${Number(n) + offset}`);
        throw new InputError(message);
      }
      if (line > 0) for (const r of records) r.line += line;
      if (records.length) yield records;
      line += lineBreaks(block);
      offset += block.length;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if ((err as NodeJS.ErrnoException).code) throw openError(name, err);
    throw err;
  }
}

function fileStream(file: string): AsyncIterable<Buffer> {
  return createReadStream(file, { highWaterMark: BLOCK });
}

/**
 * Streams every prompt of the given files ('-' = stdin; no files and a piped stdin = stdin) with
 * flat memory, a block of records at a time (one await per block, not per record). Files are checked whole first (a cheap pass without parsing), so a bad file fails
 * the run with one line (InputError) before any output; stdin, which cannot be read twice, is
 * checked as it streams. Records keep the file name as the user typed it.
 */
export async function* streamPromptInputs(
  positionals: readonly string[],
  ctx: CliContext,
): AsyncGenerator<PromptRecord[]> {
  const stdinIsTTY = (ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean }).isTTY === true;
  const files = positionals.length > 0 ? positionals : stdinIsTTY ? [] : ['-'];
  if (files.length === 0) throw new UsageError('no input: pass prompt files, or - to read prompts from stdin');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' (stdin) can be given only once");
  for (const file of files) {
    if (file === '-') continue;
    const abs = path.resolve(ctx.cwd, file);
    for await (const _ of sourceRecords(file, fileStream(abs))) {
      // Only checking.
    }
  }
  for (const file of files) {
    if (file === '-') yield* sourceRecords('<stdin>', ctx.stdin as AsyncIterable<Buffer | string>);
    else yield* sourceRecords(file, fileStream(path.resolve(ctx.cwd, file)));
  }
}

/** Every record of {@link streamPromptInputs} in one array (small inputs only). */
export async function readPromptInputs(positionals: readonly string[], ctx: CliContext): Promise<PromptRecord[]> {
  const out: PromptRecord[] = [];
  for await (const block of streamPromptInputs(positionals, ctx)) for (const r of block) out.push(r);
  return out;
}

/** Writes and waits for the stream to drain, so a large run does not buffer everything in memory. */
export function writeDrained(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}

/** Collects output and writes it in 64 KiB pieces, waiting for the stream to drain between them. */
export class ChunkedWriter {
  readonly #stream: NodeJS.WritableStream;
  #buffer = '';

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  async write(text: string): Promise<void> {
    this.#buffer += text;
    if (this.#buffer.length > 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.#buffer) return;
    const text = this.#buffer;
    this.#buffer = '';
    await writeDrained(this.#stream, text);
  }
}
