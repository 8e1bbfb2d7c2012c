/**
 * `spright-lens` as separate processes, for tests that kill them: the CLI and the inference
 * service bundled fresh from the sources (so no test runs a stale dist/), and a small handle per
 * process that collects its output lines and lets a test react to each one as it arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repoRoot } from './paths';

let built: Promise<string> | undefined;

/** Bundles src/cli/main.ts and src/service/main.ts side by side (the CLI finds service.js beside it); removed at exit. */
export function cliBundle(): Promise<string> {
  built ??= (async () => {
    const dir = path.join(repoRoot, 'out', `test-cli-${process.pid}`);
    const esbuild = createRequire(path.join(repoRoot, 'package.json'))('esbuild') as typeof import('esbuild');
    const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', external: ['onnxruntime-node'], logLevel: 'warning' as const };
    await esbuild.build({ ...common, entryPoints: [path.join(repoRoot, 'src/cli/main.ts')], outfile: path.join(dir, 'cli.js') });
    await esbuild.build({ ...common, entryPoints: [path.join(repoRoot, 'src/service/main.ts')], outfile: path.join(dir, 'service.js') });
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    return path.join(dir, 'cli.js');
  })();
  return built;
}

/** One running `spright-lens` process. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #listeners: Array<(line: string) => void> = [];

  constructor(
    readonly label: string,
    cli: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
    cwd = repoRoot,
  ) {
    // NODE_TEST_CONTEXT would make the bundle think it runs under node --test and not start.
    const { NODE_TEST_CONTEXT: _ctx, ...base } = process.env;
    this.child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const line of parts) this.#line(line);
      });
      stream.on('end', () => {
        if (rest) this.#line(rest);
        rest = '';
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  #line(line: string): void {
    this.lines.push(line);
    for (const l of [...this.#listeners]) l(line);
  }

  /** Calls `fn` for every line from now on. */
  onLine(fn: (line: string) => void): void {
    this.#listeners.push(fn);
  }

  /** Resolves with the first line (already seen or to come) that matches. */
  waitFor(re: RegExp): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fn = (line: string): void => {
        if (re.test(line)) resolve(line);
      };
      this.#listeners.push(fn);
      void this.exited.then(({ code, signal }) => reject(new Error(`${this.label} exited (${signal ?? code}) before printing ${re}:\n${this.lines.slice(-15).join('\n')}`)));
    });
  }

  get output(): string {
    return this.lines.join('\n');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
