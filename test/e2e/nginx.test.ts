import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { BIN } from '../helpers/paths.js';
import {
  DOCKER,
  IN_CI,
  PODMAN_LIMITS,
  PODMAN_RUN,
  dockerAnswers,
  dockerBuild,
  ensureImage,
  imageFiles,
  nginxBase,
  podmanAnswers,
} from '../helpers/engine.js';

const engineUp = await dockerAnswers();
// In CI the engine must be there: a missing engine fails these tests rather than skipping them.
const run = engineUp || IN_CI;
const MODULES = [
  'ngx_http_geoip_module',
  'ngx_http_image_filter_module',
  'ngx_http_xslt_filter_module',
  'ngx_mail_module',
  'ngx_stream_module',
];

describe.runIf(run)('nginx with five modules: generate, build with BuildKit, run', () => {
  let base: { ref: string; tarball: string };
  let dir: string;
  const tag = 'scratchify-test/nginx-scratch:e2e';
  let json: {
    files: { path: string; size: number; reasons: string[] }[];
    users: { name: string; uid: number }[];
    user: { uid: number };
    warnings: string[];
  };

  beforeAll(async () => {
    base = await nginxBase();
    dir = mkdtempSync(join(tmpdir(), 'scratchify-nginx-'));
    const r = await execa(BIN, ['/usr/sbin/nginx', '--base', base.ref, '-o', join(dir, 'Dockerfile'), '--json']);
    json = JSON.parse(r.stdout);
    await dockerBuild(dir, tag);
  }, 900_000);

  it('--exclude: a module alone is refused (its load_module line stays); with that line left out too, nginx -t passes in a smaller image; libc is refused with its chain', async () => {
    const module = '/usr/share/nginx/modules/ngx_http_image_filter_module.so';
    const line = '/etc/nginx/modules-enabled/50-mod-http-image-filter.conf';
    const out = mkdtempSync(join(tmpdir(), 'scratchify-nginx-exclude-'));
    const alone = await execa(BIN, ['/usr/sbin/nginx', '--base', base.ref, '--exclude', module, '-o', join(out, 'D')], { reject: false });
    expect(alone.exitCode).toBe(EXIT_CODES.USAGE);
    expect(alone.stderr).toMatch(
      /nginx loads .*ngx_http_image_filter_module\.so \(load_module in .*50-mod-http-image-filter\.conf:1\) and would not start without it/,
    );
    const both = await execa(BIN, [
      '/usr/sbin/nginx',
      '--base',
      base.ref,
      '--exclude',
      module,
      '--exclude',
      line,
      '-o',
      join(out, 'Dockerfile'),
      '--json',
    ]);
    const report = JSON.parse(both.stdout);
    const held = (r: { files: { path: string; size: number }[] }) => r.files.reduce((n, f) => n + f.size, 0);
    expect(held(report)).toBeLessThan(held(json) - (30 << 20));
    expect(report.files.map((f: { path: string }) => f.path)).not.toContain(module);
    await dockerBuild(out, 'scratchify-test/nginx-scratch:exclude');
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-test/nginx-scratch:exclude', '-t'], {
      reject: false,
      all: true,
    });
    expect(t.all).toContain('test is successful');
    const libc = await execa(BIN, ['/usr/sbin/nginx', '--base', base.ref, '--exclude', '**/libc.so.6', '-o', join(out, 'L')], {
      reject: false,
    });
    expect(libc.exitCode).toBe(EXIT_CODES.USAGE);
    expect(libc.stderr).toMatch(/the loader needs .*libc\.so\.6: \/usr\/sbin\/nginx -> .*libc\.so\.6/);
  }, 600_000);

  it('the Dockerfile is stable, small in layers and needs no syntax line', async () => {
    const first = readFileSync(join(dir, 'Dockerfile'));
    const scaffold = readFileSync(join(dir, 'Dockerfile.scaffold.tar'));
    await execa(BIN, ['/usr/sbin/nginx', '--base', base.ref, '-o', join(dir, 'Dockerfile')]);
    expect(readFileSync(join(dir, 'Dockerfile')).equals(first)).toBe(true);
    expect(readFileSync(join(dir, 'Dockerfile.scaffold.tar')).equals(scaffold)).toBe(true);
    const text = first.toString();
    expect(text).not.toMatch(/^# syntax=/m);
    const layers = text.split('\n').filter((l) => /^(COPY|ADD) /.test(l));
    expect(layers.length).toBeLessThan(20);
    // No source is copied twice.
    const sources = layers
      .flatMap((l) =>
        l
          .replace(/^COPY --from=base /, '')
          .split(' ')
          .slice(0, -1),
      )
      .filter((s) => s.startsWith('/'));
    expect(new Set(sources).size).toBe(sources.length);
  });

  it('nginx -t passes in the scratch image with all five modules loaded', async () => {
    const r = await execa(DOCKER, ['run', '--rm', tag, '-t'], { reject: false });
    expect(r.stderr).toContain('test is successful');
    const dump = await execa(DOCKER, ['run', '--rm', tag, '-T'], { reject: false });
    for (const m of MODULES) expect(dump.stdout).toContain(`modules/${m}.so`);
  });

  it('serves the Debian default page with HTTP 200 on port 80', async () => {
    const name = `scratchify-e2e-${process.pid}`;
    await execa(DOCKER, ['run', '-d', '--name', name, '--network', 'host', tag]);
    try {
      let status = 0;
      let body = '';
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 200));
        try {
          const res = await fetch('http://127.0.0.1:80/');
          status = res.status;
          body = await res.text();
        } catch {
          status = 0;
        }
      }
      expect(status).toBe(200);
      expect(body).toContain('Welcome to nginx!');
    } finally {
      await execa(DOCKER, ['rm', '-f', name]);
    }
  });

  it('holds no shell, no package manager, no /etc/shadow, and a 1777 /tmp; at most 40% of the base', async () => {
    const files = await imageFiles(tag);
    for (const p of ['/bin/sh', '/usr/bin/sh', '/bin/bash', '/usr/bin/bash', '/usr/bin/apt', '/usr/bin/dpkg', '/etc/shadow']) {
      expect(files.has(p), p).toBe(false);
    }
    expect(files.get('/tmp')).toBe('drwxrwxrwt');
    expect(files.has('/etc/passwd')).toBe(true);
    const size = async (ref: string) => Number((await execa(DOCKER, ['image', 'inspect', '--format', '{{.Size}}', ref])).stdout);
    const ratio = (await size(tag)) / (await size(base.ref));
    expect(ratio).toBeLessThanOrEqual(0.4);
  });

  it('--json names every file with its reason and size, the users and the warnings', () => {
    const nginx = json.files.find((f) => f.path === '/usr/sbin/nginx');
    expect(nginx?.size).toBeGreaterThan(100_000);
    expect(nginx?.reasons[0]).toMatch(/the program/);
    const geoip = json.files.find((f) => f.path.endsWith('/ngx_http_geoip_module.so'));
    expect(geoip?.reasons.join()).toMatch(/load_module in \/etc\/nginx\/modules-enabled\/50-mod-http-geoip\.conf/);
    const gd = json.files.find((f) => /libgd\.so/.test(f.path));
    expect(gd?.reasons.join()).toMatch(/ngx_http_image_filter_module\.so/);
    expect(json.users.map((u) => u.name)).toEqual(expect.arrayContaining(['root', 'www-data']));
    expect(json.user.uid).toBe(0);
    expect(Array.isArray(json.warnings)).toBe(true);
  });

  it('podman builds and runs the same Dockerfile', async () => {
    expect(await podmanAnswers(), 'podman is not working on this machine').toBe(true);
    await ensureImage('podman', base.ref, base.tarball);
    const ptag = 'localhost/scratchify-test/nginx-scratch:e2e';
    await execa('podman', [...PODMAN_RUN, 'build', ...PODMAN_LIMITS, '--network', 'none', '-q', '-t', ptag, dir], { timeout: 600_000 });
    const r = await execa('podman', [...PODMAN_RUN, 'run', '--rm', ...PODMAN_LIMITS, ptag, '-t'], { reject: false });
    expect(r.stderr).toContain('test is successful');
  });

  it('--user nonroot: nginx runs as 65532 with its temp, log and pid directories writable by it', async () => {
    const ndir = mkdtempSync(join(tmpdir(), 'scratchify-nginx-nonroot-'));
    await execa(BIN, ['/usr/sbin/nginx', '--base', base.ref, '--user', 'nonroot', '-o', join(ndir, 'Dockerfile')]);
    const ntag = 'scratchify-test/nginx-scratch:nonroot';
    await dockerBuild(ndir, ntag);
    expect((await execa(DOCKER, ['image', 'inspect', '--format', '{{.Config.User}}', ntag])).stdout).toBe('65532:65532');
    const name = `scratchify-e2e-nonroot-${process.pid}`;
    await execa(DOCKER, ['run', '-d', '--name', name, '--network', 'none', ntag]);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const state = await execa(DOCKER, ['inspect', '--format', '{{.State.Running}}', name]);
      expect(state.stdout, (await execa(DOCKER, ['logs', name], { all: true, reject: false })).all).toBe('true');
      const t = await execa(DOCKER, ['exec', name, '/usr/sbin/nginx', '-t'], { all: true, reject: false });
      expect(t.all).toContain('test is successful');
    } finally {
      await execa(DOCKER, ['rm', '-f', name]);
    }
  });

  it('reads the image through podman as well, pinning FROM to the digest podman records', async () => {
    const pdir = mkdtempSync(join(tmpdir(), 'scratchify-nginx-podman-'));
    await execa(BIN, ['/usr/sbin/nginx', '--base', `localhost/${base.ref}`, '--engine', 'podman', '-o', join(pdir, 'Dockerfile')]);
    const text = readFileSync(join(pdir, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^ARG BASE=localhost\/scratchify-test\/nginx-base@sha256:[0-9a-f]{64}$/m);
    const ptag = 'localhost/scratchify-test/nginx-scratch:podman-read';
    await execa('podman', [...PODMAN_RUN, 'build', ...PODMAN_LIMITS, '--network', 'none', '-q', '-t', ptag, pdir], { timeout: 600_000 });
    const r = await execa('podman', [...PODMAN_RUN, 'run', '--rm', ...PODMAN_LIMITS, ptag, '-t'], { reject: false });
    expect(r.stderr).toContain('test is successful');
  });
});
