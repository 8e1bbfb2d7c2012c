/** The contract every CLI sub-command follows; main.ts dispatches to these. */

export interface CliContext {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stdin: NodeJS.ReadableStream;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM; long commands stop cleanly and keep what they finished. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  /** One line for `spright-lens --help`. */
  readonly summary: string;
  /** Full usage text for `spright-lens NAME --help`. */
  readonly usage: string;
  /**
   * A long-running service (the queue worker): its process ends when `run` returns, even if a
   * client library still holds a reconnect timer to a server that went away.
   */
  readonly endsProcess?: boolean;
  /** Returns the process exit code. Throw UsageError / InputError for exit 2 with one line. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

/** Wrong flags or arguments: exit 2, message plus a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad input data (missing file, invalid UTF-8, bad JSONL line...): exit 2, one line, no stack. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
