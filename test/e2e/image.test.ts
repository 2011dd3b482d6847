import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { trivy, unpack } from '../helpers/scan.js';
import { DOCKER, IN_CI, PODMAN_RUN, dockerAnswers, dockerBuild, loopbackRegistry, nginxBase, podmanAnswers } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;
const withPodman = (await podmanAnswers()) || IN_CI;

/**
 * Every entry of an image as the engine unpacks it, read by Python's tarfile (not scratchify's reader): type,
 * mode, numeric owner, size, the bytes' digest, the link target.
 */
async function entries(cli: string, ref: string, extra: string[] = []): Promise<Record<string, string>> {
  const { stdout: cid } = await execa(cli, [...extra, 'create', ref, '/never-runs']);
  try {
    const py = [
      'import sys, tarfile, hashlib, json',
      'out = {}',
      "with tarfile.open(fileobj=sys.stdin.buffer, mode='r|') as t:",
      '  for m in t:',
      "    h = hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else ''",
      "    out['/' + m.name.strip('/')] = f'{m.type!r} {m.mode:o} {m.uid}:{m.gid} {m.size if m.isfile() else 0} {h} {m.linkname}'",
      'print(json.dumps(out))',
    ].join('\n');
    const { stdout } = await execa('sh', ['-c', `"$0" "$@" export ${cid} | python3 -c "$PY"`, cli, ...extra], {
      env: { PY: py },
      maxBuffer: 64 << 20,
    });
    return JSON.parse(stdout);
  } finally {
    await execa(cli, [...extra, 'rm', '-f', cid]);
  }
}

async function config(cli: string, ref: string): Promise<Record<string, unknown>> {
  const { stdout } = await execa(cli, ['image', 'inspect', '--format', '{{json .Config}}', ref]);
  const c = JSON.parse(stdout) as Record<string, unknown>;
  const keep = ['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir', 'ExposedPorts', 'Volumes', 'StopSignal', 'Labels'];
  return Object.fromEntries(keep.map((k) => [k, c[k] ?? null]));
}

describe.runIf(run)('--image: the image written without a build', () => {
  let base: string;
  let dir: string;
  const built = `scratchify-test/image-built:${process.pid}`;
  const written = `scratchify-test/image-written:${process.pid}`;
  let report: { image: { manifest: string; layers: { name: string; digest: string }[] } };

  beforeAll(async () => {
    base = (await nginxBase()).ref;
    dir = mkdtempSync(join(tmpdir(), 'scratchify-image-'));
    // One run writes the Dockerfile and the image: both come from one plan.
    const g = await execa(BIN, [
      '/usr/sbin/nginx',
      '--base',
      base,
      '-o',
      join(dir, 'Dockerfile'),
      '--image',
      `docker-archive:${join(dir, 'nginx.tar')}:${written}`,
      '--json',
    ]);
    report = JSON.parse(g.stdout);
    await dockerBuild(dir, built);
    await execa(DOCKER, ['load', '-i', join(dir, 'nginx.tar')]);
  }, 900_000);

  afterAll(async () => {
    await execa(DOCKER, ['rmi', '-f', built, written], { reject: false });
  });

  it('holds exactly what the built Dockerfile holds, entry by entry, and runs with the same configuration', async () => {
    const [a, b] = [await entries(DOCKER, written), await entries(DOCKER, built)];
    expect(Object.keys(a).length).toBeGreaterThan(500);
    expect(a).toEqual(b);
    expect(await config(DOCKER, written)).toEqual(await config(DOCKER, built));
    // One layer per package, libc6 among them, the scaffold last.
    const names = report.image.layers.map((l) => l.name);
    expect(names.some((n) => /^libc6 \S+: \/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6$/.test(n))).toBe(true);
    expect(names.at(-1)).toBe('the scaffold');
  }, 300_000);

  it('serves the Debian default page', async () => {
    const name = `scratchify-e2e-image-${process.pid}`;
    // The engine here publishes no ports (../shared/docs/engine.md): the host's network, as nginx.test.ts does.
    await execa(DOCKER, ['run', '-d', '--name', name, '--network', 'host', written]);
    try {
      let body = '';
      for (let i = 0; i < 50 && !body.includes('Welcome to nginx!'); i++) {
        await new Promise((r) => setTimeout(r, 200));
        body = await fetch('http://127.0.0.1:80/').then(
          (r) => r.text(),
          () => '',
        );
      }
      expect(body).toContain('Welcome to nginx!');
    } finally {
      await execa(DOCKER, ['rm', '-f', name]);
    }
  }, 120_000);

  it('an OCI layout that skopeo and umoci read, with the same digests as the archive, in which the scanner sees what it sees in the built image; nothing written for a refused target', async () => {
    const layout = join(dir, 'layout');
    const g = await execa(BIN, ['/usr/sbin/nginx', '--base', base, '--image', `oci:${layout}:v1`, '--json']);
    const again = JSON.parse(g.stdout) as typeof report;
    expect(again.image.manifest).toBe(report.image.manifest);
    const inspect = JSON.parse((await execa('skopeo', ['inspect', `oci:${layout}:v1`])).stdout) as { Layers: string[]; Digest: string };
    expect(inspect.Digest).toBe(report.image.manifest);
    expect(inspect.Layers).toEqual(report.image.layers.map((l) => l.digest));
    const unpacked = join(dir, 'unpacked');
    await execa('umoci', ['raw', 'unpack', '--rootless', '--image', `${layout}:v1`, unpacked]);
    expect(readFileSync(join(unpacked, 'etc/nginx/nginx.conf'), 'utf8')).toContain('http {');
    // The scanner sees the same OS and packages in the written image as in the built one.
    const [written, builtScan] = [await trivy(unpacked), await trivy(await unpack(built))];
    expect(written.packages.length).toBeGreaterThan(20);
    expect(written).toEqual(builtScan);
    const index = readFileSync(join(layout, 'index.json'));
    const refused = await execa(BIN, ['/usr/sbin/nginx', '--base', base, '--image', `oci:${layout}`], { reject: false });
    expect(readFileSync(join(layout, 'index.json'))).toEqual(index);
    expect(refused.exitCode).toBe(10);
    expect(refused.stderr).toMatch(/^scratchify: --image oci:\S+: the directory is not empty/m);
  }, 300_000);

  it.runIf(withPodman)(
    'Podman loads the archive and runs it',
    async () => {
      const loaded = await execa('podman', ['load', '-i', join(dir, 'nginx.tar')]);
      expect(loaded.stdout).toContain(written);
      try {
        const t = await execa('podman', [...PODMAN_RUN, 'run', '--rm', '--network', 'none', written, '-t'], { reject: false });
        expect(t.stderr).toContain('test is successful');
      } finally {
        await execa('podman', ['rmi', '-f', written], { reject: false });
      }
    },
    300_000,
  );

  it('pushed to a registry: docker pull and podman pull run it; a second image of the base sends under half its bytes; with basic auth from REGISTRY_AUTH_FILE; wrong credentials: one line, no tag', async () => {
    const open = await loopbackRegistry(5093);
    const locked = await loopbackRegistry(5094, { name: 'ci', password: 'secret' });
    const pulled = `${open.host}/scratchify/nginx:e2e`;
    try {
      const first = await execa(BIN, ['/usr/sbin/nginx', '--base', base, '--image', `docker://${pulled}`, '--json']);
      expect((JSON.parse(first.stdout) as typeof report).image.manifest).toBe(report.image.manifest);
      await execa(DOCKER, ['pull', pulled]);
      expect((await execa(DOCKER, ['run', '--rm', pulled, '-t'], { reject: false })).stderr).toContain('test is successful');
      if (withPodman) {
        await execa('podman', ['pull', '--tls-verify=false', pulled]);
        const t = await execa('podman', [...PODMAN_RUN, 'run', '--rm', '--network', 'none', pulled, '-t'], { reject: false });
        expect(t.stderr).toContain('test is successful');
        await execa('podman', ['rmi', '-f', pulled], { reject: false });
      }
      // gpgv shares libc6's libraries, zlib and the rest with nginx: the registry mounts them from nginx's repository.
      const second = JSON.parse(
        (await execa(BIN, ['/usr/bin/gpgv', '--base', base, '--image', `docker://${open.host}/scratchify/gpgv:e2e`, '--json'])).stdout,
      ) as {
        image: { manifest: string; pushed: { sent: { bytes: number }; present: { bytes: number } } };
      };
      const { sent, present } = second.image.pushed;
      expect(present.bytes).toBeGreaterThan(0);
      expect(sent.bytes / (sent.bytes + present.bytes)).toBeLessThan(0.5);

      const auth = join(dir, 'auth.json');
      const write = (password: string) =>
        writeFileSync(auth, JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from(`ci:${password}`).toString('base64') } } }));
      write('wrong');
      const refused = await execa(BIN, ['/usr/bin/gpgv', '--base', base, '--image', `docker://${locked.host}/scratchify/gpgv:e2e`], {
        reject: false,
        env: { REGISTRY_AUTH_FILE: auth },
      });
      expect(refused.exitCode).toBe(10);
      expect(refused.stderr).toMatch(/^scratchify: --image docker:\/\/127\.0\.0\.1:5094\/scratchify\/gpgv:e2e: .*401/m);
      expect(refused.stderr).toContain(`hint: log in first (skopeo login ${locked.host}`);
      const tags = await execa(
        'skopeo',
        ['list-tags', '--tls-verify=false', '--creds', 'ci:secret', `docker://${locked.host}/scratchify/gpgv`],
        { reject: false },
      );
      expect(tags.stdout).not.toContain('e2e');
      write('secret');
      await execa(BIN, ['/usr/bin/gpgv', '--base', base, '--image', `docker://${locked.host}/scratchify/gpgv:e2e`], {
        env: { REGISTRY_AUTH_FILE: auth },
      });
      const inspect = await execa('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--creds',
        'ci:secret',
        `docker://${locked.host}/scratchify/gpgv:e2e`,
      ]);
      // The same image in both registries, to the digest.
      expect(JSON.parse(inspect.stdout).Digest).toBe(second.image.manifest);
    } finally {
      await execa(DOCKER, ['rmi', '-f', pulled], { reject: false });
      open.stop();
      locked.stop();
    }
  }, 600_000);

  it('a base read without an engine, from an OCI layout and from a registry with --engine none, gives the same layers; the Dockerfile says how to build from the layout, and that builds', async () => {
    const layout = join(dir, 'base-layout');
    await execa('skopeo', ['copy', '-q', `docker-daemon:${base}`, `oci:${layout}:b`], { timeout: 300_000 });
    const layers = (r: { stdout: string }) => (JSON.parse(r.stdout) as typeof report).image.layers.map((l) => l.digest);
    const want = report.image.layers.map((l) => l.digest);
    const out = join(dir, 'from-layout');
    mkdirSync(out);
    const fromLayout = await execa(BIN, [
      '/usr/sbin/nginx',
      '--base',
      `oci:${layout}:b`,
      '--image',
      `oci:${join(dir, 'layout-image')}`,
      '-o',
      join(out, 'Dockerfile'),
      '--json',
    ]);
    expect(layers(fromLayout)).toEqual(want);
    const registry = await loopbackRegistry(5095);
    try {
      await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:b`, `docker://${registry.host}/base/nginx:b`], {
        timeout: 300_000,
      });
      const fromRegistry = await execa(
        BIN,
        [
          '/usr/sbin/nginx',
          '--engine',
          'none',
          '--base',
          `${registry.host}/base/nginx:b`,
          '--image',
          `oci:${join(dir, 'registry-image')}`,
          '--json',
        ],
        {
          // No engine answers here: one asked would fail the run.
          env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
        },
      );
      expect(layers(fromRegistry)).toEqual(want);
      // No engine on PATH at all, and none asked for: read from the registry the reference names, and said so.
      const onlyNode = mkdtempSync(join(tmpdir(), 'scratchify-only-node-'));
      symlinkSync(process.execPath, join(onlyNode, 'node'));
      const noEngine = await execa(
        BIN,
        ['/usr/sbin/nginx', '--base', `${registry.host}/base/nginx:b`, '--image', `oci:${join(dir, 'no-engine-image')}`, '--json'],
        {
          env: { PATH: onlyNode },
          extendEnv: false,
        },
      );
      expect(layers(noEngine)).toEqual(want);
      expect(noEngine.stderr).toContain(`no container engine answers: ${registry.host}/base/nginx:b was read from its registry`);
    } finally {
      registry.stop();
    }
    // The comment's command, as printed, then the build it names.
    const dockerfile = readFileSync(join(out, 'Dockerfile'), 'utf8');
    const load = /load it first \((skopeo copy \S+ docker-daemon:\S+)\), then build with (--build-arg BASE=\S+)/.exec(dockerfile);
    expect(load, dockerfile.slice(0, 600)).not.toBeNull();
    await execa('sh', ['-c', load![1]]);
    const tag = `scratchify-test/image-from-layout:${process.pid}`;
    try {
      await execa(DOCKER, ['build', '-q', '--network', 'none', ...load![2].split(' '), '-t', tag, out], { env: { DOCKER_BUILDKIT: '1' } });
      expect((await execa(DOCKER, ['run', '--rm', tag, '-t'], { reject: false })).stderr).toContain('test is successful');
    } finally {
      await execa(DOCKER, ['rmi', '-f', tag, 'scratchify-base:latest'], { reject: false });
    }
  }, 600_000);

  it('a registry that stops mid-push: one line naming the push and the check to make, exit 10, and no report of an image written', async () => {
    const registry = await loopbackRegistry(5096);
    const ref = `${registry.host}/scratchify/stopped:1`;
    const push = execa(BIN, ['/usr/sbin/nginx', '--base', base, '--image', `docker://${ref}`], { reject: false });
    try {
      // The first layer arrives, then the registry goes: the rest of the push meets a closed port.
      const first = report.image.layers[0].digest;
      for (let i = 0; i < 600; i++) {
        const r = await fetch(`http://${registry.host}/v2/scratchify/stopped/blobs/${first}`, { method: 'HEAD' }).catch(() => undefined);
        if (r?.ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      registry.stop();
    }
    const r = await push;
    expect(r.exitCode, r.stderr).toBe(10);
    expect(r.stderr).toMatch(new RegExp(`^scratchify: --image docker://${ref.replace(/\./g, '\\.')}: `, 'm'));
    expect(r.stderr).toContain(`hint: check that ${registry.host} answers: curl http://${registry.host}/v2/`);
    expect(r.stderr).not.toContain('wrote the image');
  }, 300_000);

  it('verify --image runs the written image against the base: the nginx archive passes; one written without mime.types fails and names it', async () => {
    const pass = await execa(
      BIN,
      ['verify', '/usr/sbin/nginx', '--base', base, '--image', `docker-archive:${join(dir, 'nginx.tar')}`, '--smoke=-t'],
      {
        reject: false,
      },
    );
    expect(pass.exitCode, pass.stderr).toBe(0);
    expect(pass.stderr).toContain('loading the scratch image');
    expect(pass.stdout).toContain('PASS -t');
    const other = join(dir, 'broken.tar');
    await execa(BIN, ['/usr/sbin/nginx', '--base', base, '--exclude', '/etc/nginx/mime.types', '--image', `docker-archive:${other}`]);
    const fail = await execa(BIN, ['verify', '/usr/sbin/nginx', '--base', base, '--image', `docker-archive:${other}`, '--smoke=-t'], {
      reject: false,
    });
    expect(fail.exitCode).toBe(9);
    expect(fail.stdout).toContain('FAIL -t');
    expect(fail.stdout).toContain('missing /etc/nginx/mime.types: --include /etc/nginx/mime.types');
    expect((await execa(DOCKER, ['images', '--format', '{{.Repository}}'])).stdout).not.toMatch(/scratchify-verify/);
  }, 300_000);

  it('Ctrl-C during a push: exit 130, no tag in the registry, no container left', async () => {
    const registry = await loopbackRegistry(5097);
    try {
      const child = execa(BIN, ['/usr/sbin/nginx', '--base', base, '--image', `docker://${registry.host}/scratchify/interrupted:1`], {
        detached: true,
        reject: false,
      });
      const first = report.image.layers[0].digest;
      for (let i = 0; i < 600; i++) {
        const r = await fetch(`http://${registry.host}/v2/scratchify/interrupted/blobs/${first}`, { method: 'HEAD' }).catch(
          () => undefined,
        );
        if (r?.ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      process.kill(-child.pid!, 'SIGINT');
      const r = await child;
      expect(r.exitCode, r.stderr).toBe(130);
      expect(r.stderr).not.toContain('wrote the image');
      const tag = await fetch(`http://${registry.host}/v2/scratchify/interrupted/manifests/1`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(tag.status).toBe(404);
      expect((await execa(DOCKER, ['ps', '-a', '--format', '{{.Names}} {{.Command}}', '--no-trunc'])).stdout).not.toContain(
        'scratchify-never-runs',
      );
    } finally {
      registry.stop();
    }
  }, 300_000);
});
