import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER,
  IN_CI,
  PODMAN_LIMITS,
  PODMAN_RUN,
  dockerAnswers,
  foreignBase,
  loopbackRegistry,
  nginxBase,
  podmanAnswers,
  pushList,
} from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = ((await dockerAnswers()) && (await podmanAnswers())) || IN_CI;

describe.runIf(run)('one Dockerfile for every platform of a multi-platform base in a registry on loopback', () => {
  let registry: Awaited<ReturnType<typeof loopbackRegistry>>;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    registry = await loopbackRegistry(5055);
    base = await pushList(registry.host, 'scratchify/nginx', { amd64: (await nginxBase()).ref, arm64: await foreignBase('arm64') });
    dir = mkdtempSync(join(tmpdir(), 'scratchify-multi-'));
  }, 1_800_000);
  afterAll(async () => {
    registry?.stop();
    // docker pull of the list gave the shared local bases a RepoDigest in this registry, which later tests would pin
    // their FROM to (and then fail to reach): those references go, the images stay.
    const digests = await execa(DOCKER, ['images', '--digests', '--format', '{{.Repository}}@{{.Digest}}'], { reject: false });
    const refs = digests.stdout.split('\n').filter((r) => registry && r.startsWith(`${registry.host}/`) && !r.endsWith('@<none>'));
    if (refs.length) await execa(DOCKER, ['rmi', ...refs], { reject: false });
    // What Podman pulled from the list: left behind, a later run's pull of the same list leaves Podman 4.3 with a
    // nameless list whose instance it cannot find, and `podman images` fails until it is removed.
    const pulled = await execa('podman', ['images', '--no-trunc', '--format', '{{.Repository}} {{.ID}}'], { reject: false });
    const ids = pulled.stdout
      .split('\n')
      .filter((l) => registry && l.startsWith(`${registry.host}/`))
      .map((l) => l.split(' ')[1]);
    if (ids.length) await execa('podman', ['rmi', '-f', ...new Set(ids)], { reject: false });
  });

  it('a stage per platform, the base pinned to the list digest; each platform builds, is labelled right and runs; each SBOM names its own packages', async () => {
    const g = await execa(
      BIN,
      [
        '/usr/sbin/nginx',
        '--base',
        base,
        '--platform',
        'linux/amd64,linux/arm64',
        '-o',
        join(dir, 'Dockerfile'),
        '--sbom',
        join(dir, 'sbom.cdx.json'),
      ],
      {
        reject: false,
      },
    );
    expect(g.exitCode, g.stderr).toBe(0);
    const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    const index = await (
      await fetch(`http://${registry.host}/v2/scratchify/nginx/manifests/multi`, {
        headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
      })
    ).headers.get('docker-content-digest');
    expect(text).toContain(`ARG BASE=${registry.host}/scratchify/nginx@${index}`);
    expect(text).toMatch(/^FROM --platform=linux\/arm64 \$\{BASE\} AS base-arm64$/m);
    expect(text).toMatch(/^FROM scratchify-\$\{TARGETARCH\}\$\{TARGETVARIANT\}$/m);
    for (const [platform, arch] of [
      ['linux/amd64', 'amd64'],
      ['linux/arm64', 'arm64'],
    ]) {
      const tag = `scratchify-test/multi:${arch}`;
      const b = await execa(DOCKER, ['build', '-q', '--network', 'none', '--platform', platform, '-t', tag, dir], {
        env: { DOCKER_BUILDKIT: '1' },
        reject: false,
        all: true,
      });
      expect(b.exitCode, b.all).toBe(0);
      expect((await execa(DOCKER, ['image', 'inspect', '--format', '{{.Architecture}}', tag])).stdout).toBe(arch);
      const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', tag, '-t'], { reject: false, all: true });
      expect(t.all).toContain('test is successful');
      const sbom = JSON.parse(readFileSync(join(dir, `sbom.${arch}.cdx.json`), 'utf8'));
      const purls: string[] = sbom.components.map((c: { purl?: string }) => c.purl ?? '');
      expect(purls.find((p) => p.startsWith('pkg:deb/debian/nginx@'))).toMatch(new RegExp(`arch=${arch}`));
    }
  }, 900_000);

  it('Podman builds the same file (generated through Docker) in one command: a manifest list whose images run', async () => {
    const pdir = dir;
    const list = `localhost/scratchify-test-multi:${process.pid}`;
    const b = await execa(
      'podman',
      [
        ...PODMAN_RUN,
        'build',
        ...PODMAN_LIMITS,
        '-q',
        '--network',
        'none',
        '--tls-verify=false',
        '--platform',
        'linux/amd64,linux/arm64',
        '--manifest',
        list,
        pdir,
      ],
      {
        reject: false,
        all: true,
      },
    );
    expect(b.exitCode, b.all).toBe(0);
    const manifest = JSON.parse((await execa('podman', ['manifest', 'inspect', list])).stdout);
    expect(manifest.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort()).toEqual([
      'amd64',
      'arm64',
    ]);
    for (const arch of ['amd64', 'arm64']) {
      const t = await execa('podman', [...PODMAN_RUN, 'run', '--rm', '--network', 'none', '--arch', arch, list, '-t'], {
        reject: false,
        all: true,
      });
      expect(t.all).toContain('test is successful');
    }
    await execa('podman', ['manifest', 'rm', list], { reject: false });
  }, 900_000);

  it('each platform of the list verifies against its own base, arm64 under emulation', async () => {
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const r = await execa(
        BIN,
        ['verify', '/usr/sbin/nginx', '--base', base, '--platform', platform, '--smoke=-t', '--probe', 'http://127.0.0.1/'],
        { reject: false },
      );
      expect(r.exitCode, `${platform}: ${JSON.stringify(r.stderr)}`).toBe(0);
    }
  }, 900_000);

  it('--image docker:// with two platforms pushes an index of both, the same without an engine; docker pull of each platform runs it, arm64 under emulation', async () => {
    const ref = `${registry.host}/scratchify/nginx-written:multi`;
    const g = await execa(
      BIN,
      ['/usr/sbin/nginx', '--base', base, '--platform', 'linux/amd64,linux/arm64', '--image', `docker://${ref}`, '--json'],
      {
        reject: false,
      },
    );
    expect(g.exitCode, g.stderr).toBe(0);
    const report = JSON.parse(g.stdout) as { image: { index: string; platforms: { platform: string; manifest: string }[] } };
    const raw = JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout) as {
      mediaType: string;
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(raw.manifests.map((m) => [m.platform.architecture, m.digest])).toEqual(
      report.image.platforms.map((p) => [p.platform.split('/')[1], p.manifest]),
    );
    // Without an engine, read from the registry: the same index, to the digest.
    const none = await execa(
      BIN,
      [
        '/usr/sbin/nginx',
        '--engine',
        'none',
        '--base',
        base,
        '--platform',
        'linux/amd64,linux/arm64',
        '--image',
        `oci:${join(dir, 'multi-none')}`,
        '--json',
      ],
      { reject: false, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } },
    );
    expect(none.exitCode, none.stderr).toBe(0);
    expect((JSON.parse(none.stdout) as typeof report).image.index).toBe(report.image.index);
    for (const arch of ['amd64', 'arm64']) {
      // One local name per platform: docker pull --platform replaces what a tag names.
      const local = `scratchify-test/written-multi:${arch}`;
      await execa(DOCKER, ['pull', '--platform', `linux/${arch}`, ref]);
      await execa(DOCKER, ['tag', ref, local]);
      try {
        const inspect = await execa(DOCKER, ['image', 'inspect', '--format', '{{.Architecture}}', local]);
        expect(inspect.stdout.trim()).toBe(arch);
        const t = await execa(DOCKER, ['run', '--rm', '--platform', `linux/${arch}`, local, '-t'], { reject: false });
        expect(t.stderr, arch).toContain('test is successful');
      } finally {
        await execa(DOCKER, ['rmi', '-f', local, ref], { reject: false });
      }
    }
  }, 900_000);
});
