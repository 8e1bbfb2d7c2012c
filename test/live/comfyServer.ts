/**
 * A real ComfyUI server for the live tests, the transcript recorder and the bench: installs the
 * vendored source (scripts/comfyui-setup.mjs, reused when present), builds the tiny checkpoint
 * with ComfyUI's own classes (scripts/comfyui-tiny-checkpoint.py) and starts the server on a free
 * loopback port with its own base folder. Any failure says why; nothing is skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../unit/helpers/paths';
import { freePortForTests } from '../unit/helpers/ports';

/** The installed server: its venv's Python and its source folder. */
export interface ComfySetup {
  readonly python: string;
  readonly comfyDir: string;
}

/** A running server. */
export interface ComfyServer {
  readonly url: string;
  readonly port: number;
  /** Its base folder (models/checkpoints, temp, user...). */
  readonly baseDir: string;
  readonly process: ChildProcess;
  /** Seconds from spawn to the first answer of /system_stats. */
  readonly startSeconds: number;
  /** The last lines of its log. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
  /** Kills it at once (the crash case) and resolves when it has exited. */
  kill(): Promise<void>;
}

/** Latent previews on (binary WebSocket frames), kept small: 64 px JPEGs. */
export const PREVIEW_ARGS: readonly string[] = ['--preview-method', 'latent2rgb', '--preview-size', '64'];

/** Options of `startComfyServer`. */
export interface StartOptions {
  /** Extra command-line flags (e.g. --preview-method latent2rgb). */
  readonly args?: readonly string[];
  /** How long one start may take before it counts as failed (default 240 s: a busy 2-core machine). */
  readonly startTimeoutMs?: number;
}

function runNode(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

/** Installs (or finds) the vendored ComfyUI; rejects with the setup script's reason. */
export async function setupComfy(): Promise<ComfySetup> {
  // A fresh install downloads ~3.3 GB; 20 minutes covers a slow mirror.
  const out = await runNode([path.join(repoRoot, 'scripts', 'comfyui-setup.mjs'), '--json'], 20 * 60_000);
  const last = out.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(last) as ComfySetup & { installed: boolean; seconds: number };
  process.stderr.write(
    `comfyui: ${parsed.installed ? 'installed' : 'found'} ${parsed.comfyDir} (${parsed.seconds}s)\n`,
  );
  return parsed;
}

/** Builds the tiny SD1.5 checkpoint as `dir/name`; resolves to its path. */
export function buildTinyCheckpoint(setup: ComfySetup, dir: string, name = 'tiny.safetensors'): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  return new Promise((resolve, reject) => {
    const child = spawn(
      setup.python,
      [path.join(repoRoot, 'scripts', 'comfyui-tiny-checkpoint.py'), setup.comfyDir, file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', (err) => reject(new Error(`cannot run ${setup.python}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0 && fs.existsSync(file)) resolve(file);
      else
        reject(
          new Error(
            `building the tiny checkpoint failed (exit ${code}): ${log.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

/** A fresh base folder with the folders ComfyUI expects (it fails without custom_nodes). */
export function makeBaseDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-comfyui-'));
  for (const sub of ['models/checkpoints', 'custom_nodes', 'input', 'output', 'temp', 'user'])
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  return dir;
}

async function startOnce(setup: ComfySetup, baseDir: string, options: StartOptions): Promise<ComfyServer> {
  const port = await freePortForTests();
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  const args = [
    'main.py',
    '--cpu',
    '--listen',
    '127.0.0.1',
    '--port',
    String(port),
    '--disable-auto-launch',
    '--disable-api-nodes',
    '--base-directory',
    baseDir,
    // An in-memory database: nothing written under the source tree or the base folder.
    '--database-url',
    'sqlite:///:memory:',
    ...(options.args ?? []),
  ];
  const child = spawn(setup.python, args, {
    cwd: setup.comfyDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const lines: string[] = [];
  const collect = (d: Buffer): void => {
    lines.push(...d.toString().split('\n').filter(Boolean));
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitInfo: string | undefined;
  child.once('exit', (code, signal) => (exitInfo = signal ?? `exit ${code}`));
  const logTail = (n = 15): string => lines.slice(-n).join('\n');
  const server: ComfyServer = {
    url,
    port,
    baseDir,
    process: child,
    startSeconds: 0,
    logTail,
    async stop() {
      if (exitInfo === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
    async kill() {
      if (exitInfo === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  const deadline = t0 + (options.startTimeoutMs ?? 240_000);
  for (;;) {
    if (exitInfo !== undefined) throw new Error(`ComfyUI exited during start-up (${exitInfo}):\n${logTail()}`);
    try {
      const res = await fetch(`${url}/system_stats`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) {
        await res.arrayBuffer();
        return { ...server, startSeconds: (Date.now() - t0) / 1000 };
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(
        `ComfyUI did not answer ${url}/system_stats within ${Math.round((deadline - t0) / 1000)} s:\n${logTail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts a server; a failed start (exit, no answer in time, a port taken meanwhile) is retried
 * once on a new port, and a second failure rejects with both reasons and the log.
 */
export async function startComfyServer(
  setup: ComfySetup,
  baseDir: string,
  options: StartOptions = {},
): Promise<ComfyServer> {
  try {
    return await startOnce(setup, baseDir, options);
  } catch (first) {
    process.stderr.write(`comfyui: start failed, retrying once: ${(first as Error).message.split('\n')[0]}\n`);
    try {
      return await startOnce(setup, baseDir, options);
    } catch (second) {
      throw new Error(
        `ComfyUI failed to start twice.\nfirst: ${(first as Error).message}\nsecond: ${(second as Error).message}`,
      );
    }
  }
}

/** What `startTestServer` returns: a running server whose models folder holds the test checkpoints. */
export interface TestServer {
  readonly server: ComfyServer;
  /** The server's base folder; `close()` removes it. */
  readonly baseDir: string;
  /** Seconds each preparation step took. */
  readonly seconds: { readonly install: number; readonly checkpoint: number; readonly start: number };
  /** Stops the server and removes its base folder. */
  close(): Promise<void>;
}

/**
 * Installs (or finds) ComfyUI, then builds the tiny checkpoint while the server starts: both
 * spend most of their time importing torch, and ComfyUI lists its models folder afresh on each
 * request, so neither has to wait for the other. With `corrupt`, a file of that name that
 * passes validation (it is listed) and fails to load is added.
 */
export async function startTestServer(
  options: StartOptions & { checkpoint?: string; corrupt?: string } = {},
): Promise<TestServer> {
  const t0 = Date.now();
  const setup = await setupComfy();
  const install = (Date.now() - t0) / 1000;
  const baseDir = makeBaseDir();
  const checkpoints = path.join(baseDir, 'models', 'checkpoints');
  const t1 = Date.now();
  const building = buildTinyCheckpoint(setup, checkpoints, options.checkpoint).then(() => (Date.now() - t1) / 1000);
  const starting = startComfyServer(setup, baseDir, options);
  const [built, started] = await Promise.allSettled([building, starting]);
  if (built.status === 'rejected' || started.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    fs.rmSync(baseDir, { recursive: true, force: true });
    throw built.status === 'rejected' ? built.reason : (started as PromiseRejectedResult).reason;
  }
  if (options.corrupt) fs.writeFileSync(path.join(checkpoints, options.corrupt), Buffer.alloc(4096, 7));
  const server = started.value;
  return {
    server,
    baseDir,
    seconds: { install, checkpoint: built.value, start: server.startSeconds },
    async close() {
      await server.stop();
      fs.rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
