/**
 * Connections to the queue's Redis: the settings BullMQ and our own keys share, a quick probe that
 * turns "cannot connect" into one line a person can act on (within a few seconds, instead of a
 * client retrying forever), and the same wording for errors met later.
 */
import type { ConnectionOptions } from 'bullmq';
import Redis, { type RedisOptions } from 'ioredis';
import { scrub, type QueueTarget } from './url';

/** Why the queue's Redis cannot be used (unreachable, wrong password...); the message is safe to show. */
export class QueueConnectionError extends Error {
  override readonly name = 'QueueConnectionError';
}

/** How long the probe waits for a connection and an answer. */
export const PROBE_TIMEOUT_MS = 5000;

/**
 * ioredis options for a long-lived connection: reconnect forever with a capped backoff (a Redis
 * restart must not end a batch) and queue commands meanwhile. BullMQ requires
 * `maxRetriesPerRequest: null` on the connections it blocks on.
 */
export function connectionOptions(target: QueueTarget, name: string, stopped: () => boolean = () => false): RedisOptions {
  const r = target.redis;
  return {
    host: r.host,
    port: r.port,
    db: r.db,
    ...(r.username !== undefined ? { username: r.username } : {}),
    ...(r.password !== undefined ? { password: r.password } : {}),
    ...(r.tls ? { tls: { servername: r.tls.servername } } : {}),
    connectionName: name,
    maxRetriesPerRequest: null,
    connectTimeout: PROBE_TIMEOUT_MS,
    // After `stopped`, a lost connection stays closed (no reconnect timer keeps the process up).
    retryStrategy: (times: number) => (stopped() ? null : Math.min(250 * 2 ** Math.min(times, 3), 2000)),
  };
}

/** The same settings as BullMQ's `connection` option (BullMQ makes its own ioredis clients from them). */
export function bullConnection(target: QueueTarget, name: string, stopped?: () => boolean): ConnectionOptions {
  return connectionOptions(target, name, stopped) as ConnectionOptions;
}

/** A connection for our own keys (batch description, worker heartbeats). */
export function openRedis(target: QueueTarget, name: string): Redis {
  const client = new Redis({ ...connectionOptions(target, name), lazyConnect: true });
  // Errors while reconnecting are expected during a Redis restart; callers see failed commands.
  client.on('error', () => undefined);
  return client;
}

/** One line for a failure to use the queue's Redis, naming it by its redacted URL. */
export function describeRedisError(err: unknown, target: QueueTarget): string {
  const e = err as (Error & { code?: string }) | undefined;
  // The client's own text may quote what it was given; only it is scrubbed (our words are safe).
  const raw = scrub(e?.message ?? String(err), target);
  const where = `Redis at ${target.display}`;
  const code = e?.code ?? /\b(E[A-Z]{3,})\b/.exec(raw)?.[1];
  let why: string;
  if (/WRONGPASS|invalid username-password|invalid password/i.test(raw)) {
    why = `${where} refused the credentials (wrong password or user); check the password in the --queue URL`;
  } else if (/NOAUTH|Authentication required/i.test(raw)) {
    why = `${where} requires a password: give it in the URL (redis://:PASSWORD@host:port) or in SPRIGHT_QUEUE_PASSWORD`;
  } else if (/DB index is out of range/i.test(raw)) {
    why = `${where}: no such database number (the server has fewer databases); use /0 or another small number`;
  } else if (code === 'ECONNREFUSED') {
    why = `cannot reach ${where}: connection refused; is redis-server running there, on that port?`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    why = `cannot reach ${where}: unknown host '${target.redis.host}'`;
  } else if (code === 'ETIMEDOUT' || /timed? ?out/i.test(raw)) {
    why = `cannot reach ${where}: no answer within ${PROBE_TIMEOUT_MS / 1000} s; check the host, port and firewall`;
  } else if (code === 'ECONNRESET' || code === 'EPIPE') {
    why = `${where} closed the connection (${code}); with rediss:// check that the server speaks TLS, without it that it does not`;
  } else if (/certificate|ssl|tls|handshake/i.test(raw)) {
    why = `TLS with ${where} failed: ${raw}`;
  } else {
    why = `${where}: ${raw}`;
  }
  return why;
}

/**
 * Connects once, with no retries, and checks that the server answers and accepts the credentials.
 * Throws QueueConnectionError within about {@link PROBE_TIMEOUT_MS}.
 */
export async function probeRedis(target: QueueTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const client = new Redis({
    ...connectionOptions(target, 'spright-lens:probe'),
    // Selected below, where a bad number is an error instead of a warning event.
    db: 0,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  let lastError: unknown;
  client.on('error', (err) => {
    lastError = err;
  });
  // A server that accepts the connection but never answers would leave `ping` waiting.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs + 500);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
        if (target.redis.db !== 0) await client.select(target.redis.db);
      })(),
      timeout,
    ]);
  } catch (err) {
    // ioredis reports "Connection is closed" for a refused connection; the socket error says why.
    const why = lastError && /Connection is closed|connect ETIMEDOUT|Stream isn't writeable/i.test(String((err as Error)?.message)) ? lastError : err;
    throw new QueueConnectionError(describeRedisError(why, target));
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
