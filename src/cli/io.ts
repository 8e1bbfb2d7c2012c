/** Input and output helpers shared by the prompt-reading commands (analyze, rewrite). */
import * as path from 'node:path';
import type { CliContext } from './command';
import { InputError, UsageError } from './command';
import { PromptFileError, readPromptFile, readPromptSource } from '../parser';
import type { PromptRecord } from '../parser';

export async function readStdin(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Reads every prompt of the given files ('-' = stdin; no files and a piped stdin = stdin).
 * Everything is read before anything is written, so a bad file fails the run with one line
 * (InputError) and no partial output. Records keep the file name as the user typed it.
 */
export async function readPromptInputs(positionals: readonly string[], ctx: CliContext): Promise<PromptRecord[]> {
  const stdinIsTTY = (ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean }).isTTY === true;
  const files = positionals.length > 0 ? positionals : stdinIsTTY ? [] : ['-'];
  if (files.length === 0) throw new UsageError('no input: pass prompt files, or - to read prompts from stdin');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' (stdin) can be given only once");
  const records: PromptRecord[] = [];
  for (const file of files) {
    try {
      if (file === '-') records.push(...readPromptSource(await readStdin(ctx.stdin), '<stdin>'));
      else records.push(...readPromptFile(path.resolve(ctx.cwd, file)).map((r) => ({ ...r, source: file })));
    } catch (err) {
      if (err instanceof PromptFileError) throw new InputError(file === '-' ? err.message : err.message.replace(err.file, file));
      throw err;
    }
  }
  return records;
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
