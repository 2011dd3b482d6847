import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_SOCKET = '/var/run/docker.sock';
/** An answer larger than this is not one we asked for (an image's inspect is a few KiB). */
const MAX_REPLY = 4 << 20;
const READ_BUFFER = 1 << 20;

/**
 * The unix socket the docker CLI would talk to: the default one, or DOCKER_HOST's when it names a unix socket
 * (rootless docker's). Undefined when DOCKER_HOST names another kind of endpoint (tcp://, ssh://) or a context
 * (DOCKER_CONTEXT, or a current context in the CLI's config) may name one: only the CLI itself reaches those.
 */
export function defaultSocket(): string | undefined {
  if (process.env.DOCKER_CONTEXT) return undefined;
  const host = process.env.DOCKER_HOST;
  if (host) return /^unix:\/\/\/./.test(host) ? host.slice('unix://'.length) : undefined;
  try {
    const dir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { currentContext?: unknown };
    if (config.currentContext !== undefined && config.currentContext !== 'default') return undefined;
  } catch {
    // no config, or one the CLI would refuse too: the default endpoint
  }
  return DEFAULT_SOCKET;
}

export interface ApiReply {
  status: number;
  body: string;
}

/**
 * One request to the engine API on a unix socket, in HTTP/1.0: the daemon sends one plain body (never chunked)
 * and closes. A 200 reply's body goes to `each` as it arrives when given (an export); any other reply, or a 200
 * one without `each`, is returned whole (up to 4 MiB). Undefined when there is no answer, a malformed one, or
 * nothing for `timeoutMs`: the caller then asks the CLI, which says why. A throw from `each` ends the request
 * and is what the promise rejects with, as is a connection that fails while a body streams.
 */
export function dockerRequest(
  socketPath: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  options: { json?: unknown; each?: (chunk: Buffer) => void; timeoutMs?: number } = {},
): Promise<ApiReply | undefined> {
  return new Promise((resolve, reject) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    let status = 0;
    const body: Buffer[] = [];
    let size = 0;
    let settled = false;
    // A body streamed to `each` is read into one buffer, reused for every read: no allocation per read, which for a
    // 250 MB export was thousands of buffers for the collector. `each` must copy what it keeps of a chunk.
    const onread = options.each
      ? {
          buffer: Buffer.allocUnsafe(READ_BUFFER),
          callback: (n: number, b: Uint8Array) => {
            received(Buffer.from(b.buffer, b.byteOffset, n));
            return true;
          },
        }
      : undefined;
    const socket = connect({ path: socketPath, onread });
    const done = (r: ApiReply | undefined, error?: unknown) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(r);
    };
    const streaming = () => status === 200 && options.each !== undefined;
    const take = (d: Buffer) => {
      if (streaming()) {
        try {
          options.each!(d);
        } catch (e) {
          done(undefined, e);
        }
        return;
      }
      body.push(Buffer.from(d));
      if ((size += d.length) > MAX_REPLY) done(undefined);
    };
    socket.setTimeout(options.timeoutMs ?? 2000, () => done(undefined));
    // Before a streamed body began, no answer; after, the export broke off, which the caller must hear of.
    socket.on('error', (e) => done(undefined, head === undefined && streaming() ? e : undefined));
    socket.on('connect', () => {
      const payload = options.json === undefined ? '' : JSON.stringify(options.json);
      const headers = payload ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` : '';
      socket.write(`${method} ${path} HTTP/1.0\r\nHost: docker\r\n${headers}\r\n${payload}`);
    });
    const received = (d: Buffer) => {
      if (settled) return;
      if (head === undefined) return take(d);
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 65536) done(undefined);
        return;
      }
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(head.toString('latin1', 0, end));
      if (!m) return done(undefined);
      status = Number(m[1]);
      const rest = head.subarray(end + 4);
      head = undefined;
      if (rest.length > 0) take(rest);
    };
    if (!onread) socket.on('data', received);
    socket.on('end', () =>
      done(head === undefined ? { status, body: streaming() ? '' : Buffer.concat(body).toString('utf8') } : undefined),
    );
  });
}

/** GET `path`: see dockerRequest. */
export function dockerGet(socketPath: string, path: string, timeoutMs = 2000): Promise<ApiReply | undefined> {
  return dockerRequest(socketPath, 'GET', path, { timeoutMs });
}

/**
 * True when dockerd answers its ping, which costs no process start where `docker version` costs one on every
 * command. False means only "ask the CLI".
 */
export async function dockerPings(socketPath: string | undefined, timeoutMs = 2000): Promise<boolean> {
  if (!socketPath) return false;
  const r = await dockerGet(socketPath, '/_ping', timeoutMs);
  return r?.status === 200 && r.body === 'OK';
}

/** A reference the API may be asked about as it stands: nothing that could be read as another path or a query. */
export function plainReference(ref: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/.test(ref) && !ref.split('/').some((p) => p === '.' || p === '..');
}
