/** The ComfyUI server URL: parsing, and the loopback-only rule. */
import { isIP } from 'node:net';
import { DEFAULT_COMFY_SERVER } from '../../protocol/service';
import { ComfyError } from './errors';

export { DEFAULT_COMFY_SERVER };

/** Options of `parseComfyServer`. */
export interface ComfyServerOptions {
  /**
   * Allow a server that is not on this machine. Off by default: prompts and renders then never
   * leave the machine, and a workspace setting cannot point the editor at someone's server. The
   * caller passes it from a user-level setting.
   */
  readonly allowRemote?: boolean;
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (as URL.hostname writes them). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host) || /^::ffff:7f/.test(host);
  return false;
}

/**
 * Parses a ComfyUI server URL into its base (`http://host:port/`, with a path prefix kept for a
 * server behind a reverse proxy). Throws a `ComfyError` of kind `url` for anything that is not
 * http(s), carries credentials, a query or a fragment, or is not loopback without `allowRemote`.
 */
export function parseComfyServer(value: string | undefined, options: ComfyServerOptions = {}): URL {
  const text = (value ?? '').trim() || DEFAULT_COMFY_SERVER;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ComfyError(
      'url',
      `ComfyUI server ${JSON.stringify(text)} is not a URL: write it as http://127.0.0.1:8188`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ComfyError(
      'url',
      `ComfyUI server ${url.href} must be an http:// or https:// URL (the WebSocket address is derived from it)`,
    );
  }
  if (url.username || url.password) {
    throw new ComfyError(
      'url',
      `ComfyUI server ${url.protocol}//${url.host}: credentials in the URL are not supported (they would be written into every PNG)`,
    );
  }
  if (url.search || url.hash)
    throw new ComfyError(
      'url',
      `ComfyUI server ${url.href}: remove the query or fragment; give only scheme, host, port and path`,
    );
  if (!options.allowRemote && !isLoopbackHost(url.hostname)) {
    throw new ComfyError(
      'url',
      `ComfyUI server ${url.origin} is not on this machine: only loopback servers (localhost, 127.0.0.1, ::1) are used unless remote servers are explicitly allowed in your user settings`,
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** The server as written into PNGs and messages: origin plus any path prefix, no trailing slash. */
export function serverLabel(base: URL): string {
  return `${base.origin}${base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '')}`;
}
