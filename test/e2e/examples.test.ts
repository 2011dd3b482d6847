import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, imageFiles, nginxBase } from '../helpers/engine.js';
import { BIN, REPO } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;

/** Each example's own script builds it end to end (builder image, stage, scratch image) and runs it. */
async function example(name: string): Promise<string> {
  const r = await execa('bash', [join(REPO, 'examples', name, 'build.sh')], { all: true, reject: false, timeout: 1_200_000 });
  expect(r.exitCode, r.all).toBe(0);
  return r.all ?? '';
}

describe.runIf(run)('examples/, built by their scripts and run', () => {
  it('go: a static Go binary runs as nonroot and finds the CA roots scratchify added', async () => {
    const out = await example('go');
    expect(out).toMatch(/is a Go program \(go1\.\d+/);
    expect(out).toMatch(/hello from nonroot \(uid 65532\), [1-9]\d* CA roots/);
  }, 1_200_000);

  it('go with cgo: the libc set and nsswitch.conf, user looked up through glibc, as nonroot', async () => {
    await example('go');
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-cgo-'));
    cpSync(join(REPO, 'examples/go'), dir, { recursive: true });
    const r = await execa(
      BIN,
      [
        '/app/hello-cgo',
        '--dockerfile',
        join(dir, 'Dockerfile'),
        '--target',
        'build',
        '--build-network',
        'none',
        '-o',
        join(dir, 'Dockerfile.cgo'),
      ],
      { all: true },
    );
    expect(r.all).toMatch(/is a Go program \(go1\.\d+.*\), using cgo/);
    const text = readFileSync(join(dir, 'Dockerfile.cgo'), 'utf8');
    expect(text).toMatch(/libc\.so\.6/);
    expect(text).toMatch(/nsswitch\.conf/);
    await dockerBuild(dir, 'scratchify-examples/go:cgo', 'Dockerfile.cgo');
    const ran = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-examples/go:cgo'], { all: true });
    expect(ran.all).toMatch(/hello from nonroot \(uid 65532\), [1-9]\d* CA roots/);
    // verify with no arguments: the build stage has no account 65532, so its run gets the image's accounts.
    const v = await execa(
      BIN,
      ['verify', '/app/hello-cgo', '--dockerfile', join(dir, 'Dockerfile'), '--target', 'build', '--build-network', 'none', '--smoke', ''],
      { all: true, reject: false },
    );
    expect(v.exitCode, v.all).toBe(0);
    expect(v.stdout).toContain("PASS '' (no arguments)");
  }, 1_200_000);

  it('self: scratchify as an image, cut and verified by itself, used in a builder stage through its own loader and libraries', async () => {
    const r = await execa('bash', [join(REPO, 'examples/self/build.sh'), 'scratchify-test/self:e2e'], {
      all: true,
      reject: false,
      timeout: 1_200_000,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('2 of 2 smoke commands behave as in the base');
    const files = await imageFiles('scratchify-test/self:e2e');
    expect(files.has('/bin/sh')).toBe(false);
    expect(files.has('/opt/scratchify/bin/scratchify-from-root')).toBe(true);
    // The README's builder-stage use: the image's root copied into a stage, run by its own loader.
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-self-'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        'FROM scratchify-test/self:e2e AS scratchify',
        `FROM ${(await nginxBase()).ref} AS build`,
        'COPY --from=scratchify / /opt/scratchify-root/',
        'RUN /opt/scratchify-root/opt/scratchify/bin/scratchify-from-root /usr/sbin/nginx --bundle /out',
        'FROM scratch',
        'COPY --from=build /out/ /',
        'ENTRYPOINT ["/usr/sbin/nginx", "-g", "daemon off;"]',
        '',
      ].join('\n'),
    );
    await dockerBuild(dir, 'scratchify-test/self-nginx:e2e');
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-test/self-nginx:e2e', '-t'], {
      all: true,
      reject: false,
    });
    expect(t.all).toContain('test is successful');
  }, 1_200_000);

  it("c: $ORIGIN/../lib and a dlopen'ed plugin with a library of its own, as nonroot", async () => {
    const out = await example('c');
    expect(out).toContain('greeting the world from libgreet');
    expect(out).toMatch(/plugin with zlib [\d.]+; uid 65532/);
  }, 1_200_000);

  it('nginx: five modules, configuration test passes', async () => {
    const out = await example('nginx');
    expect(out).toContain('test is successful');
  }, 1_200_000);
});
