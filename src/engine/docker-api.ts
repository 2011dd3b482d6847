import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_SOCKET = '/var/run/docker.sock';
/** An answer larger than this is not one we asked for (an image's inspect is a few KiB). */
const MAX_REPLY = 4 << 20;

/**
 * The daemon the docker CLI would talk to, when that is the default socket: not when DOCKER_HOST, DOCKER_CONTEXT
 * or a current context in the CLI's config names another endpoint, which only the CLI itself can reach.
 */
export function defaultSocket(): string | undefined {
  if (process.env.DOCKER_HOST || process.env.DOCKER_CONTEXT) return undefined;
  try {
    const dir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { currentContext?: unknown };
    if (config.currentContext !== undefined && config.currentContext !== 'default') return undefined;
  } catch {
    // no config, or one the CLI would refuse too: the default endpoint
  }
  return DEFAULT_SOCKET;
}

/**
 * GET `path` of the engine API on a unix socket (HTTP/1.0: one plain body, then the daemon closes). Undefined when
 * there is no answer, a malformed one, or none in time: the caller then asks the CLI, which says why.
 */
export function dockerGet(socketPath: string, path: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = connect({ path: socketPath });
    const done = (r: { status: number; body: string } | undefined) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if ((size += d.length) > MAX_REPLY) done(undefined);
    });
    socket.on('end', () => {
      const reply = Buffer.concat(chunks).toString('utf8');
      const head = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n(?:[^\r\n]*\r\n)*?\r\n/.exec(reply);
      done(head ? { status: Number(head[1]), body: reply.slice(head[0].length) } : undefined);
    });
  });
}

/**
 * True when dockerd answers its ping: ~1 ms, where `docker version` costs a process start (~40 ms here) on every
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
