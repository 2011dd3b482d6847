import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, REPO } from '../helpers/paths.js';
import {
  DOCKER,
  IN_CI,
  dockerAnswers,
  dockerBuild,
  imageFiles,
  nginxBase,
  exportListing,
  expectPodmanNginx,
  podmanBuild,
} from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/** The README's first command, as written: the line under "Set up and run" that starts with npm ci. */
function quickStart(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Set up and run'));
  return /^ {4}(npm ci && .*)$/m.exec(section)![1];
}

describe.runIf(run)('a self-contained build context: no base image needed', () => {
  it("the README's quick start, verbatim: an image of this machine's /bin/ls that runs, as nonroot", async () => {
    // npm ci and the setup script have run (CI runs them before the tests; .ci/run calls the setup script):
    // the rest of the line runs as written, from the checkout, with no base image anywhere.
    const [prefix, rest] = quickStart().split(' && mkdir -p ');
    expect(prefix).toBe('npm ci && bash scripts/setup-machine.sh');
    rmSync(join(REPO, 'ls-image'), { recursive: true, force: true });
    try {
      const r = await execa('bash', ['-c', `mkdir -p ${rest}`], { cwd: REPO, all: true, reject: false });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/^d.* \/tmp$|^lrwxrwxrwx .* bin -> usr\/bin$/m);
      const dockerfile = readFileSync(join(REPO, 'ls-image', 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^FROM scratch$/m);
      expect(dockerfile).not.toMatch(/--from|^ARG BASE/m);
      const user = await execa(DOCKER, ['image', 'inspect', '--format', '{{.Config.User}}', 'scratchify-quickstart/ls']);
      expect(user.stdout).toBe('65532:65532');
    } finally {
      rmSync(join(REPO, 'ls-image'), { recursive: true, force: true });
    }
  }, 300_000);

  it('--bundle FILE.tar of nginx: an image from that archive alone passes nginx -t with Docker and Podman, /tmp 1777, temp dirs owned by www-data', async () => {
    const base = (await nginxBase()).ref;
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-bundle-'));
    await execa(BIN, ['/usr/sbin/nginx', '--base', base, '--bundle', join(ctx, 'root.tar')]);
    // The settings sit beside the archive, not in it: the image does not carry them.
    const meta = JSON.parse(readFileSync(join(ctx, 'root.tar.scratchify.json'), 'utf8'));
    expect((await execa('tar', ['-tf', join(ctx, 'root.tar')])).stdout).not.toMatch(/scratchify\.json/);
    expect(meta).toMatchObject({ entrypoint: ['/usr/sbin/nginx', '-g', 'daemon off;'], user: '0:0' });
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM scratch\nADD root.tar /\nUSER ${meta.user}\nENTRYPOINT ${JSON.stringify(meta.entrypoint)}\n`,
    );
    await dockerBuild(ctx, 'scratchify-test/nginx-bundle:e2e');
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-test/nginx-bundle:e2e', '-t'], { reject: false });
    expect(t.stderr).toContain('test is successful');
    const files = await imageFiles('scratchify-test/nginx-bundle:e2e');
    expect(files.get('/tmp')).toBe('drwxrwxrwt');
    expect(files.has('/bin/sh')).toBe(false);
    expect(await exportListing('scratchify-test/nginx-bundle:e2e', ['var/lib/nginx/body'])).toMatch(/^drwx------ 33\/33 /m);
    await podmanBuild(ctx, 'localhost/scratchify-test/nginx-bundle:podman');
    // nginx -t passes; the same modes and owners through Podman's ADD.
    await expectPodmanNginx('localhost/scratchify-test/nginx-bundle:podman');
  }, 600_000);

  it('--bundle DIR: refuses a directory that is not empty (exit 10, nothing changed), replaces it with --force', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'scratchify-bundle-dir-'));
    const dir = join(parent, 'out');
    const gen = (extra: string[]) => execa(BIN, ['/bin/ls', '--bundle', dir, ...extra], { reject: false });
    expect((await gen([])).exitCode).toBe(0);
    writeFileSync(join(dir, 'stale'), 'old');
    const refused = await gen([]);
    expect(refused.exitCode).toBe(10);
    expect(refused.stderr).toMatch(/the directory is not empty/);
    expect(readFileSync(join(dir, 'stale'), 'utf8')).toBe('old');
    expect((await gen(['--force'])).exitCode).toBe(0);
    expect(() => readFileSync(join(dir, 'stale'))).toThrow();
    expect(JSON.parse(readFileSync(`${dir}.scratchify.json`, 'utf8')).entrypoint).toEqual(['/bin/ls']);
    expect(readdirSync(dir)).not.toContain('.scratchify.json');
    const unwritable = await execa(BIN, ['/bin/ls', '--bundle', '/proc/scratchify-out'], { reject: false });
    expect(unwritable.exitCode).toBe(10);
  }, 120_000);

  it('a root holding a file the user cannot read: exit 5 in one line, no bundle written', async () => {
    const d = mkdtempSync(join(tmpdir(), 'scratchify-perm-'));
    for (const sub of ['root/app', 'root/etc', 'out']) mkdirSync(join(d, sub), { recursive: true });
    cpSync(join(FIXTURES, 'go/static'), join(d, 'root/app/static'));
    writeFileSync(join(d, 'root/etc/locked.conf'), 'secret');
    chmodSync(join(d, 'root/etc/locked.conf'), 0o000);
    for (const p of ['', 'root', 'root/app', 'root/etc', 'root/app/static']) chmodSync(join(d, p), 0o755);
    chmodSync(join(d, 'out'), 0o777);
    // As nobody: root reads everything, so the permission problem needs another user.
    const r = await execa(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        BIN,
        '/app/static',
        '--root',
        join(d, 'root'),
        '--include',
        '/etc/locked.conf',
        '--bundle',
        join(d, 'out/b'),
      ],
      { reject: false, env: { HOME: join(d, 'out') } },
    );
    expect(r.exitCode, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toEqual([
      `scratchify: /etc/locked.conf: cannot read it in directory ${join(d, 'root')} (permission denied)`,
      '  hint: run as a user who can read the whole root, or fix its permissions',
    ]);
    expect(readdirSync(join(d, 'out')).filter((f) => f !== '.local' && f !== '.cache' && f !== '.config')).toEqual([]);
  });
});
