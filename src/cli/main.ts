/** `spright-lens` entry point: a thin adapter that dispatches to one command module per verb. */
import type { CliContext, Command } from './command';
import { InputError, UsageError } from './command';

// Commands load lazily so that `analyze` never pays for onnxruntime or TF.js start-up.
const COMMANDS: Record<string, () => Command> = {
  analyze: () => (require('./commands/analyze') as { default: Command }).default,
  rewrite: () => (require('./commands/rewrite') as { default: Command }).default,
  render: () => (require('./commands/render') as { default: Command }).default,
  detect: () => (require('./commands/detect') as { default: Command }).default,
  evaluate: () => (require('./commands/evaluate') as { default: Command }).default,
  batch: () => (require('./commands/batch') as { default: Command }).default,
  worker: () => (require('./commands/worker') as { default: Command }).default,
};

function mainUsage(): string {
  const lines = ['Usage: spright-lens <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  }
  lines.push('', 'Run `spright-lens <command> --help` for the options of one command.');
  return lines.join('\n') + '\n';
}

/** Finds our package.json walking up from this file (works from dist/ and from out/src/cli/). */
function packageVersion(): string {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spright-lens') return pkg.version ?? '0.0.0';
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(mainUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    ctx.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    ctx.stderr.write(`spright-lens: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).join(', ')}.\n`);
    return 2;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(`spright-lens ${name}: ${err.message}\nRun 'spright-lens ${name} --help' for usage.\n`);
      return 2;
    }
    if (err instanceof InputError) {
      ctx.stderr.write(`spright-lens ${name}: ${err.message}\n`);
      return 2;
    }
    if (ctx.signal.aborted) {
      ctx.stderr.write(`spright-lens ${name}: cancelled\n`);
      return 130;
    }
    const e = err as Error;
    ctx.stderr.write(`spright-lens ${name}: ${e.message ?? String(err)}\n`);
    if (ctx.env.SPRIGHT_DEBUG) ctx.stderr.write(`${e.stack ?? ''}\n`);
    return 1;
  }
}

/** Runs the CLI in this process with real stdio and exits with its code. */
export function runProcess(): void {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A closed pipe (`| head`) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const ctx: CliContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
    signal: controller.signal,
  };
  const name = process.argv[2];
  main(process.argv.slice(2), ctx).then(
    (code) => {
      process.exitCode = code;
      // Exit once stdout and stderr (pipes write asynchronously) have taken everything.
      if (name !== undefined && COMMANDS[name]?.().endsProcess) process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    },
    (err: unknown) => {
      process.stderr.write(`spright-lens: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

// Under `node --test` a bundled test file is itself the main module: do not run the CLI there.
if (require.main === module && !process.env.NODE_TEST_CONTEXT) runProcess();
