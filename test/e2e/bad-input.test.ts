import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { BIN } from '../helpers/paths.js';
import { IN_CI, dockerAnswers, dockerBuild, nginxBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

describe.runIf(run)('bad input against a real engine: one line, its own exit code, no Dockerfile', () => {
  let base: string;
  let dir: string;
  beforeAll(async () => {
    base = (await nginxBase()).ref;
    dir = mkdtempSync(join(tmpdir(), 'scratchify-bad-'));
  }, 900_000);

  const gen = (args: string[], env?: Record<string, string>) =>
    execa(process.execPath, [BIN, ...args, '-o', join(dir, 'Dockerfile')], { reject: false, env, extendEnv: env === undefined });

  it('an image the engine does not have and cannot pull', async () => {
    const r = await gen(['/usr/sbin/nginx', '--base', 'scratchify-test/no-such-image:1']);
    expect(r.exitCode).toBe(EXIT_CODES.IMAGE_NOT_FOUND);
    expect(r.stderr).toMatch(/^scratchify: --base scratchify-test\/no-such-image:1: docker has no such image/);
  });

  it('no engine on PATH', async () => {
    const r = await gen(['/usr/sbin/nginx', '--base', base], { PATH: '/nonexistent' });
    expect(r.exitCode).toBe(EXIT_CODES.ENGINE_UNAVAILABLE);
    expect(r.stderr).toMatch(/^scratchify: no container engine: docker is not installed; podman is not installed/);
  });

  it('a binary the image does not have', async () => {
    const r = await gen(['/usr/sbin/apache2', '--base', base]);
    expect(r.exitCode).toBe(EXIT_CODES.INPUT_NOT_FOUND);
    expect(r.stderr).toMatch(/\/usr\/sbin\/apache2: not found in image/);
  });

  it('an nginx.conf that does not parse, in an image built by the user', async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-badconf-'));
    writeFileSync(join(ctx, 'nginx.conf'), 'user www-data;\nhttp {\n  server { listen 80;\n}\n');
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nCOPY nginx.conf /etc/nginx/nginx.conf\n`);
    await dockerBuild(ctx, 'scratchify-test/nginx-badconf:e2e');
    const r = await gen(['/usr/sbin/nginx', '--base', 'scratchify-test/nginx-badconf:e2e']);
    expect(r.exitCode).toBe(EXIT_CODES.CONFIG_INVALID);
    expect(r.stderr).toMatch(/^scratchify: \/etc\/nginx\/nginx.conf:5: unexpected end of file, expecting "}" to close "http"/);
  });

  it('left no Dockerfile behind', async () => {
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual([]);
  });
});
