/** Runs one CLI command in this process, as main.ts would, capturing what it writes. */
import { PassThrough } from 'node:stream';
import { InputError, UsageError, type CliContext, type Command } from '../../../src/cli/command';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The command itself, with main.ts's mapping of UsageError/InputError to exit 2 and one line
 * (main.ts runs itself when bundled as the entry, so tests do not import it).
 */
export async function runCommand(command: Command, args: string[], options: { cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const input = new PassThrough();
  if (options.stdin !== undefined) input.end(options.stdin);
  const ctx: CliContext = { stdout: out, stderr: err, stdin: input, cwd: options.cwd ?? process.cwd(), env: {}, signal: new AbortController().signal };
  let code: number;
  try {
    code = await command.run(args, ctx);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e;
    err.write(`spright-lens ${command.name}: ${e.message}\n`);
    code = 2;
  }
  return { code, stdout, stderr };
}
