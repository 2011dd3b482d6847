import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO } from '../helpers/paths.js';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, verifyBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

describe.runIf(run)('--trace finds what DT_NEEDED cannot show', () => {
  beforeAll(async () => {
    await execa('bash', ['-c', `source ${join(REPO, 'examples/lib/common.sh')} && ensure_builder`], { timeout: 900_000 });
  }, 900_000);

  it("a dlopen'ed plugin and its own library, from a run in the build stage (no --include)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-trace-'));
    const out = join(dir, 'Dockerfile');
    const r = await execa(BIN, [
      '/app/bin/greeter',
      '--dockerfile',
      join(REPO, 'examples/c/Dockerfile'),
      '--target',
      'build',
      '--build-network',
      'none',
      '--trace',
      '/app/bin/greeter',
      '-o',
      out,
      '--json',
    ]);
    const report = JSON.parse(r.stdout) as { files: { path: string; reasons: string[] }[] };
    const plugin = report.files.find((f) => f.path === '/app/lib/plugins/hello.so');
    // The builder image has strace, so every file the run opened is seen.
    expect(plugin?.reasons.join()).toMatch(/used by --trace '\/app\/bin\/greeter' \(strace\)/);
    expect(report.files.some((f) => /\/(bin\/sh|dash|bash)$/.test(f.path))).toBe(false);
    expect(report.files.some((f) => /\/libz\.so/.test(f.path))).toBe(true);
    // The Dockerfile holds the user's stages and the scratch stage; build it from the example's directory.
    const { copyFileSync, cpSync } = await import('node:fs');
    cpSync(join(REPO, 'examples/c/src'), join(dir, 'src'), { recursive: true });
    copyFileSync(out, join(dir, 'Dockerfile'));
    await dockerBuild(dir, 'scratchify-test/trace-c:e2e');
    const ran = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-test/trace-c:e2e'], { all: true });
    expect(ran.all).toMatch(/plugin with zlib [\d.]+; uid 65532/);
  }, 900_000);

  it("in an image without strace, this machine's strace is brought in: modules, config files, listed directories", async () => {
    const { nginxBase } = await import('../helpers/engine.js');
    const base = await nginxBase();
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-trace-nginx-'));
    const r = await execa(BIN, [
      '/usr/sbin/nginx',
      '--base',
      base.ref,
      '--trace',
      '/usr/sbin/nginx -t',
      '-o',
      join(dir, 'Dockerfile'),
      '--json',
    ]);
    const report = JSON.parse(r.stdout) as {
      files: { path: string; reasons: string[] }[];
      directories: { path: string; reason: string }[];
      warnings: string[];
    };
    const reasons = (p: string) => report.files.find((f) => f.path.endsWith(p))?.reasons.join('; ');
    expect(reasons('/ngx_stream_module.so')).toMatch(/used by --trace '\/usr\/sbin\/nginx -t' \(strace\)/);
    // What LD_DEBUG could never see: a config file it reads, a directory it lists for includes.
    expect(reasons('/usr/share/nginx/modules-available/mod-stream.conf')).toMatch(/\(strace\)/);
    expect(report.directories.find((d) => d.path === '/etc/nginx/conf.d')?.reason).toMatch(/listed or entered by --trace/);
    expect(report.warnings.join('\n')).not.toMatch(/LD_DEBUG/);
    const built = 'scratchify-test/trace-nginx:e2e';
    await dockerBuild(dir, built);
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', built, '-t'], { all: true, reject: false });
    expect(t.exitCode, t.all).toBe(0);
  }, 900_000);

  it('without strace on this machine, LD_DEBUG is the fallback, and the warning says what it cannot see', async () => {
    const { nginxBase } = await import('../helpers/engine.js');
    const base = await nginxBase();
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-trace-ld-'));
    const r = await execa(
      BIN,
      ['/usr/sbin/nginx', '--base', base.ref, '--trace', '/usr/sbin/nginx -t', '-o', join(dir, 'Dockerfile'), '--json'],
      {
        env: { SCRATCHIFY_STRACE: 'none' },
      },
    );
    const report = JSON.parse(r.stdout) as { files: { path: string; reasons: string[] }[]; warnings: string[] };
    expect(report.files.find((f) => f.path.endsWith('/ngx_stream_module.so'))?.reasons.join('; ')).toMatch(/\(LD_DEBUG\)/);
    expect(report.warnings.join('\n')).toMatch(/LD_DEBUG sees only the shared objects .* install strace here/);
  }, 900_000);

  it('refuses --trace without an image to run it in', async () => {
    const r = await execa(BIN, ['/bin/ls', '--trace', '/bin/ls'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--trace needs an image/);
  });

  it('Ctrl-C during a traced run: exit 130; no container, tracer, log or output left', async () => {
    const { ref } = await verifyBase();
    const tmp = mkdtempSync(join(tmpdir(), 'scratchify-trace-ctrlc-'));
    const out = join(tmp, 'out');
    mkdirSync(out);
    const child = execa(
      BIN,
      ['/usr/bin/python3', '--base', ref, '--trace', "/usr/bin/python3 -c 'import time; time.sleep(30)'", '-o', join(out, 'Dockerfile')],
      {
        detached: true,
        reject: false,
        env: { TMPDIR: tmp },
      },
    );
    await Promise.race([
      new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => /tracing '/.test(String(d)) && resolve())),
      child,
    ]);
    // Inside the traced run, which sleeps.
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(-child.pid!, 'SIGINT');
    const interrupted = await child;
    expect(interrupted.exitCode, interrupted.stderr).toBe(130);
    expect((await execa(DOCKER, ['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toMatch(/scratchify-trace-/);
    expect(readdirSync(tmp)).toEqual(['out']);
    expect(readdirSync(out)).toEqual([]);
  }, 300_000);
});
