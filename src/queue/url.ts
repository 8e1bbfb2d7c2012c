/**
 * The `--queue` URL: `redis://[[user]:password@]host[:port][/db]` or `rediss://` for TLS. The
 * password is needed to connect and must never be shown: everything the user sees names the
 * queue by its redacted form, and messages from the Redis client are scrubbed before they are.
 */

/** Connection settings for ioredis (and BullMQ, which takes the same). */
export interface RedisConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** Present for `rediss://`: TLS with the host name checked against the certificate. */
  readonly tls?: { readonly servername: string };
}

/** A parsed `--queue` URL. */
export interface QueueTarget {
  readonly redis: RedisConnectionSettings;
  /** The URL without its password (`redis://:***@host:6379/0`): the only form ever printed. */
  readonly display: string;
}

/** A `--queue` value that is not a usable Redis URL; the message never holds the password. */
export class QueueUrlError extends Error {
  override readonly name = 'QueueUrlError';
}

/** Environment variable that supplies the password when the URL carries none (keeps it off `ps`). */
export const PASSWORD_ENV = 'SPRIGHT_QUEUE_PASSWORD';

/** Replaces the user-info part of anything URL-like (`scheme://user:pass@`) with `***`. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^@\s/]*)@/gi, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    return `${scheme}${colon >= 0 ? `${info.slice(0, colon)}:***` : '***'}@`;
  });
}

/**
 * Parses a `--queue` URL. `env` may supply the password ({@link PASSWORD_ENV}) when the URL has
 * none. Throws QueueUrlError with a message that shows the URL redacted.
 */
export function parseQueueUrl(text: string, env: Readonly<Record<string, string | undefined>> = {}): QueueTarget {
  const expected = 'expected redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... for TLS';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not echoed: without URL syntax there is no telling which part is a password.
    throw new QueueUrlError(`--queue: not a URL; ${expected}`);
  }
  const shown = redactUrl(`${url.protocol}//${url.username || url.password ? `${url.username}${url.password ? ':x' : ''}@` : ''}${url.host}${url.pathname}${url.search ? '?…' : ''}`);
  const bad = (why: string): QueueUrlError => new QueueUrlError(`--queue '${shown}': ${why}; ${expected}`);
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'redis' && scheme !== 'rediss') throw bad(`the scheme must be redis or rediss, not '${scheme}'`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('no host');
  const port = url.port === '' ? 6379 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`bad port '${url.port}'`);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) throw bad(`the path must be a database number (/0, /1...), got '/${dbText}'`);
  const db = dbText === '' ? 0 : Number(dbText);
  if (url.search || url.hash) throw bad('no query or fragment is understood');
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    throw bad('the user name or password is not valid percent-encoding');
  }
  if (password === undefined && env[PASSWORD_ENV]) password = env[PASSWORD_ENV];
  const redis: RedisConnectionSettings = {
    host,
    port,
    db,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(scheme === 'rediss' ? { tls: { servername: host } } : {}),
  };
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const auth = username !== undefined || password !== undefined ? `${username ?? ''}${password !== undefined ? ':***' : ''}@` : '';
  return { redis, display: `${scheme}://${auth}${hostPart}:${port}/${db}` };
}

/**
 * Removes the target's password (and any URL user-info) from a message that came from elsewhere
 * (the Redis client, the server), so that it can be shown.
 */
export function scrub(message: string, target: QueueTarget): string {
  let out = redactUrl(message);
  const secrets = [target.redis.password, target.redis.password !== undefined ? encodeURIComponent(target.redis.password) : undefined];
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}
