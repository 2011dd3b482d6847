import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSocket, dockerGet, dockerPings, dockerRequest, plainReference } from '../../src/engine/docker-api.js';
import { detectEngine } from '../../src/engine/engine.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-ping-'));
  dirs.push(d);
  return d;
}

/** A daemon on a unix socket that answers every request with `reply` (or never, when undefined). */
async function daemon(reply: string | undefined): Promise<{ path: string; requests: string[] }> {
  const path = join(tempDir(), 'docker.sock');
  const requests: string[] = [];
  const server = createServer((c) => {
    // The client hangs up when it has what it wanted: our writes after that fail, as they may.
    c.on('error', () => {});
    c.on('data', (d) => {
      requests.push(d.toString());
      if (reply !== undefined) c.end(reply);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(path, r));
  return { path, requests };
}

const OK = 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK';

describe('the docker ping that spares a `docker version` per command', () => {
  it('is true when the daemon answers GET /_ping with 200 OK', async () => {
    const d = await daemon(OK);
    expect(await dockerPings(d.path)).toBe(true);
    expect(d.requests[0]).toMatch(/^GET \/_ping HTTP\/1\.0\r\n/);
  });

  it('is false for any other answer, no daemon, no answer in time or no socket', async () => {
    expect(await dockerPings((await daemon('HTTP/1.1 500 Internal Server Error\r\n\r\nno')).path)).toBe(false);
    expect(await dockerPings((await daemon('HTTP/1.1 200 OK\r\n\r\nnot ok')).path)).toBe(false);
    expect(await dockerPings(join(tempDir(), 'absent.sock'))).toBe(false);
    const started = Date.now();
    expect(await dockerPings((await daemon(undefined)).path, 150)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await dockerPings(undefined)).toBe(false);
  });

  it('GET gives the status and the body after the headers, or nothing for a reply that is not HTTP or too large', async () => {
    const body = JSON.stringify({ Id: 'sha256:ab', RepoTags: ['a:b'] });
    const d = await daemon(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${body}`);
    expect(await dockerGet(d.path, '/images/a:b/json')).toEqual({ status: 200, body });
    expect(d.requests[0]).toMatch(/^GET \/images\/a:b\/json HTTP\/1\.0\r\n/);
    const missing = await daemon('HTTP/1.0 404 Not Found\r\n\r\n{"message":"No such image: x"}');
    expect((await dockerGet(missing.path, '/images/x/json'))?.status).toBe(404);
    expect(await dockerGet((await daemon('SSH-2.0-OpenSSH\r\n')).path, '/_ping')).toBeUndefined();
    expect(await dockerGet((await daemon(`HTTP/1.0 200 OK\r\n\r\n${'x'.repeat(5 << 20)}`)).path, '/_ping')).toBeUndefined();
  });

  it('streams a 200 body to `each` as it arrives, byte for byte; a throw from `each` ends it; an error reply comes whole', async () => {
    const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const path = join(tempDir(), 'docker.sock');
    const requests: string[] = [];
    const server = createServer((c) => {
      // The client hangs up when it has what it wanted: our writes after that fail, as they may.
      c.on('error', () => {});
      c.on('data', async (d) => {
        requests.push(d.toString());
        // The head split across writes, then the body in pieces: the reader must not care where writes end.
        c.write('HTTP/1.0 200 OK\r\nContent-Type: application/x-tar\r');
        await new Promise((r) => setTimeout(r, 20));
        c.write('\n\r\n');
        for (let i = 0; i < body.length; i += 70_000) c.write(body.subarray(i, i + 70_000));
        c.end();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    const got: Buffer[] = [];
    expect(await dockerRequest(path, 'GET', '/containers/c/export', { each: (b) => got.push(Buffer.from(b)) })).toEqual({
      status: 200,
      body: '',
    });
    expect(Buffer.concat(got).equals(body)).toBe(true);
    const stop = new Error('enough');
    await expect(
      dockerRequest(path, 'GET', '/containers/c/export', {
        each: () => {
          throw stop;
        },
      }),
    ).rejects.toBe(stop);

    const refused = await daemon('HTTP/1.0 404 Not Found\r\n\r\n{"message":"No such container: c"}');
    const r = await dockerRequest(refused.path, 'GET', '/containers/c/export', { each: () => {} });
    expect(r).toEqual({ status: 404, body: '{"message":"No such container: c"}' });
  });

  it('sends a JSON body with its type and length', async () => {
    const d = await daemon('HTTP/1.0 201 Created\r\n\r\n{"Id":"ab"}');
    const json = { Image: 'sha256:ab', Cmd: ['/x'], Label: 'é' };
    expect(await dockerRequest(d.path, 'POST', '/containers/create', { json })).toEqual({ status: 201, body: '{"Id":"ab"}' });
    const [head, payload] = d.requests[0].split('\r\n\r\n');
    expect(head).toMatch(/^POST \/containers\/create HTTP\/1\.0\r\n/);
    expect(head).toContain('Content-Type: application/json');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(JSON.stringify(json))}`);
    expect(JSON.parse(payload)).toEqual(json);
  });

  it('asks the API only about references that cannot be read as another path or a query', () => {
    for (const ok of ['nginx', 'myorg/app:1.2', 'localhost:5000/a/b@sha256:0123abcd', 'sha256:3cfafa25b7b6', 'a_b-c.d+e'])
      expect(plainReference(ok), ok).toBe(true);
    for (const bad of ['../containers/x', 'a/../../b', 'a?all=1', 'a b', 'a#b', '/abs', 'a%2Fb', '', './a'])
      expect(plainReference(bad), bad).toBe(false);
  });

  it('is not used without the docker CLI, which builds and runs still need', async () => {
    const path = process.env.PATH;
    process.env.PATH = tempDir();
    try {
      await expect(detectEngine('docker')).rejects.toThrow(/docker is not installed/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('leaves endpoints other than the default socket to the CLI', () => {
    const saved = { ...process.env };
    try {
      for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG']) delete process.env[k];
      const config = tempDir();
      process.env.DOCKER_CONFIG = config;
      expect(defaultSocket()).toBe('/var/run/docker.sock');
      writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'default' }));
      expect(defaultSocket()).toBe('/var/run/docker.sock');
      writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
      expect(defaultSocket()).toBeUndefined();
      writeFileSync(join(config, 'config.json'), '{}');
      process.env.DOCKER_HOST = 'tcp://10.0.0.1:2376';
      expect(defaultSocket()).toBeUndefined();
      process.env.DOCKER_HOST = 'ssh://build@10.0.0.1';
      expect(defaultSocket()).toBeUndefined();
      // Rootless docker's socket: the API is at hand there too, whatever a context says.
      process.env.DOCKER_HOST = 'unix:///run/user/1000/docker.sock';
      expect(defaultSocket()).toBe('/run/user/1000/docker.sock');
      process.env.DOCKER_HOST = 'unix://relative.sock';
      expect(defaultSocket()).toBeUndefined();
      delete process.env.DOCKER_HOST;
      process.env.DOCKER_CONTEXT = 'remote';
      expect(defaultSocket()).toBeUndefined();
    } finally {
      process.env = saved;
    }
  });
});
