import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_SOCKET = '/var/run/docker.sock';

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
 * True when dockerd answers its ping on the default socket: ~1 ms, where `docker version` costs a process start
 * (~40 ms here) on every command. False means only "ask the CLI", which then says why it cannot connect.
 */
export function dockerPings(socketPath: string | undefined, timeoutMs = 2000): Promise<boolean> {
  if (!socketPath) return Promise.resolve(false);
  return new Promise((resolve) => {
    let reply = '';
    const socket = connect({ path: socketPath });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.length > 4096) done(false);
    });
    socket.on('end', () => done(/^HTTP\/1\.[01] 200 /.test(reply) && reply.endsWith('\r\n\r\nOK')));
  });
}
