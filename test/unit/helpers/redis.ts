/**
 * A real redis-server for the queue tests: started on a free loopback port with its own temporary
 * folder, with or without AOF persistence, restartable on the same port and folder (to lose or keep
 * its data as a crash would), and stopped when the test ends. Readiness is read from the server's
 * own log line, not waited for.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** AOF with fsync on every write: a kill loses nothing acknowledged. Default false (no persistence at all). */
  appendonly?: boolean;
  /** `requirepass`: clients must authenticate with this password. */
  password?: string;
}

let binary: string | null | undefined;

/** The redis-server executable, or null when it is not installed. */
export function redisServerBinary(): string | null {
  if (binary !== undefined) return binary;
  const candidates = [process.env.SPRIGHT_REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server', 'redis-server'].filter((c): c is string => !!c);
  binary = candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) ?? null;
  return binary;
}

/** A skip reason for `test(name, { skip: redisMissing() }, ...)` when redis-server is absent. */
export function redisMissing(): string | false {
  return redisServerBinary() ? false : 'redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)';
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  readonly dir: string;
  #port: number;
  readonly #options: RedisServerOptions;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(dir: string, port: number, options: RedisServerOptions) {
    this.dir = dir;
    this.#port = port;
    this.#options = options;
  }

  /** Starts a server in a fresh temporary folder; `stop()` removes it. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!redisServerBinary()) throw new Error(String(redisMissing()));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-redis-'));
    // Another process may take the free port between the probe and the bind: try a few.
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(dir, await freePort(), options);
      try {
        await server.#launch();
        return server;
      } catch (err) {
        if (attempt >= 4 || !/Address already in use/i.test(String((err as Error).message))) {
          fs.rmSync(dir, { recursive: true, force: true });
          throw err;
        }
      }
    }
  }

  get port(): number {
    return this.#port;
  }

  /** `redis://[:password@]127.0.0.1:PORT/db`; `password` null leaves it out. */
  url(db = 0, password: string | null = this.#options.password ?? null): string {
    return `redis://${password !== null ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${this.#port}/${db}`;
  }

  /** The server's log so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  #launch(): Promise<void> {
    const args = [
      '--port', String(this.#port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--daemonize', 'no',
      '--logfile', '',
      '--save', '',
      '--appendonly', this.#options.appendonly ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--protected-mode', 'yes',
    ];
    if (this.#options.password !== undefined) args.push('--requirepass', this.#options.password);
    const child = spawn(redisServerBinary()!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    // A test process that dies (a timeout, Ctrl-C) takes its server with it.
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    return new Promise((resolve, reject) => {
      let out = '';
      let ready = false;
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString();
        out += text;
        this.#log = (this.#log + text).slice(-20000);
        if (!ready && /Ready to accept connections/.test(out)) {
          ready = true;
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = undefined;
        if (!ready) reject(new Error(`redis-server exited (${signal ?? code}) before it was ready: ${out.trim().split('\n').slice(-3).join(' | ')}`));
      });
      child.once('error', reject);
    });
  }

  /** Stops the server: SIGKILL (a crash: only what AOF fsynced survives) or SIGTERM (a clean shutdown). */
  async halt(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.#child = undefined;
  }

  /** Starts it again on the same port and folder (after {@link halt}). */
  async resume(): Promise<void> {
    if (this.#child) return;
    await this.#launch();
  }

  /** Kills and starts it again: with AOF the data is back, without persistence it is gone. */
  async restart(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    await this.halt(signal);
    await this.resume();
  }

  /** Stops it and removes its folder. */
  async stop(): Promise<void> {
    await this.halt('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
