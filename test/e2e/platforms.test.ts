import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { DOCKER, IN_CI, baseTarball, dockerAnswers, foreignBase, nginxBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;

async function verify(args: string[]) {
  const r = await execa(BIN, ['verify', '--json', ...args], { reject: false, timeout: 600_000 });
  if (!r.stdout.startsWith('{')) throw new Error(`verify ${args.join(' ')} printed no report (exit ${r.exitCode}): ${r.stderr}`);
  return { code: r.exitCode ?? -1, report: JSON.parse(r.stdout), stderr: r.stderr };
}

const build = (dir: string, tag: string, extra: string[] = []) =>
  execa(DOCKER, ['build', '-q', '--network', 'none', ...extra, '-t', tag, dir], {
    env: { DOCKER_BUILDKIT: '1' },
    reject: false,
    all: true,
  });
const arch = async (tag: string) => (await execa(DOCKER, ['image', 'inspect', '--format', '{{.Architecture}}', tag])).stdout.trim();

describe.runIf(run)('bases of other architectures: arm64 under emulation, i386 natively', () => {
  let arm64: string;
  let i386: string;
  beforeAll(async () => {
    arm64 = await foreignBase('arm64');
    i386 = await foreignBase('i386');
  }, 1_800_000);

  it('arm64: the Dockerfile takes the base for its platform; a plain build builds, the labelled one says arm64 and nginx -t passes under qemu', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-arm64-'));
    const g = await execa(BIN, ['/usr/sbin/nginx', '--base', arm64, '-o', join(dir, 'Dockerfile')], { reject: false });
    expect(g.exitCode, g.stderr).toBe(0);
    const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM --platform=linux\/arm64 \$\{BASE\} AS base$/m);
    expect(text).toMatch(/^# Build in .*: docker build --platform linux\/arm64 -f Dockerfile \.$/m);
    expect(text).toMatch(/\/usr\/lib\/aarch64-linux-gnu\/libc\.so\.6/);
    const plain = await build(dir, 'scratchify-test/platform:arm64-plain');
    expect(plain.exitCode, plain.all).toBe(0);
    const labelled = await build(dir, 'scratchify-test/platform:arm64', ['--platform', 'linux/arm64']);
    expect(labelled.exitCode, labelled.all).toBe(0);
    expect(await arch('scratchify-test/platform:arm64')).toBe('arm64');
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-test/platform:arm64', '-t'], {
      reject: false,
      all: true,
    });
    expect(t.all).toContain('test is successful');
  }, 600_000);

  it('arm64: verify passes with a trace from qemu-user and an HTTP probe, and for the interpreter', async () => {
    const nginx = await verify([
      '/usr/sbin/nginx',
      '--base',
      arm64,
      '--trace',
      '/usr/sbin/nginx -t',
      '--smoke=-t',
      '--probe',
      'http://127.0.0.1/',
    ]);
    expect(nginx.code, nginx.stderr).toBe(0);
    const python = await verify(['/usr/bin/python3', '--base', arm64, "--smoke=-c 'import json, ssl, sqlite3; print(json.dumps([1]))'"]);
    expect(python.code, python.stderr).toBe(0);
    // The qemu trace sees what strace sees natively: the configuration nginx reads and the directories it lists.
    const traced = await execa(BIN, ['/usr/sbin/nginx', '--base', arm64, '--trace', '/usr/sbin/nginx -t', '--json']);
    const dirs = JSON.parse(traced.stdout).directories.map((d: { path: string }) => d.path);
    expect(dirs).toEqual(expect.arrayContaining(['/etc/nginx/modules-enabled', '/etc/nginx/sites-enabled']));
  }, 900_000);

  it('i386: traced by this machine strace (it runs i386 itself), verified, and the labelled image says 386', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-i386-'));
    const v = await verify([
      '/usr/sbin/nginx',
      '--base',
      i386,
      '--trace',
      '/usr/sbin/nginx -t',
      '--smoke=-t',
      '--probe',
      'http://127.0.0.1/',
      '-o',
      join(dir, 'Dockerfile'),
    ]);
    expect(v.code, v.stderr).toBe(0);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/docker build --platform linux\/386 /);
    const b = await build(dir, 'scratchify-test/platform:i386', ['--platform', 'linux/386']);
    expect(b.exitCode, b.all).toBe(0);
    expect(await arch('scratchify-test/platform:i386')).toBe('386');
  }, 900_000);

  it('bad input: a program of another architecture than its base, a --platform the base is not, and verify where nothing runs the base', async () => {
    // docker import labels any root amd64: an arm64 root imported so is refused, naming both platforms.
    const tarball = await baseTarball('nginx-arm64', 'bookworm', ['nginx', 'libnginx-mod-stream', 'python3', 'curl'], 'arm64');
    await execa(DOCKER, ['import', tarball, 'scratchify-test/platform:mislabelled']);
    const wrong = await execa(BIN, ['/usr/sbin/nginx', '--base', 'scratchify-test/platform:mislabelled'], { reject: false });
    expect(wrong.exitCode).toBe(EXIT_CODES.PLATFORM_MISMATCH);
    expect(wrong.stderr).toMatch(
      /\/usr\/sbin\/nginx is built for linux\/arm64, but image scratchify-test\/platform:mislabelled is linux\/amd64/,
    );
    const amd64 = (await nginxBase()).ref;
    const asked = await execa(BIN, ['/usr/sbin/nginx', '--base', amd64, '--platform', 'linux/arm64'], { reject: false });
    expect(asked.exitCode).toBe(EXIT_CODES.PLATFORM_MISMATCH);
    expect(asked.stderr).toMatch(/--platform linux\/arm64: .* is linux\/amd64/);
    // A machine without binfmt_misc for arm64: verify says so in one line with the setup; generate still works.
    const env = { SCRATCHIFY_BINFMT_DIR: '/nonexistent' };
    const cannot = await execa(BIN, ['verify', '/usr/sbin/nginx', '--base', arm64, '--smoke=-t'], { reject: false, env });
    expect(cannot.exitCode).toBe(EXIT_CODES.CANNOT_RUN);
    expect(cannot.stderr).toMatch(
      /^scratchify: verify runs the image, which is linux\/arm64: this machine \(amd64\) cannot run it\n {2}hint: install qemu-user-static/,
    );
    const gen = await execa(BIN, ['/usr/sbin/nginx', '--base', arm64, '-o', '-'], { reject: false, env });
    expect(gen.exitCode, gen.stderr).toBe(0);
  }, 600_000);
});
