import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO } from '../helpers/paths.js';
import {
  DOCKER,
  IN_CI,
  dockerAnswers,
  dockerBuild,
  ensureImage,
  imageFiles,
  nginxBase,
  exportListing,
  expectPodmanNginx,
  podmanBuild,
  TEST_CACHE,
} from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;
const EXAMPLE = join(REPO, 'examples/in-builder');

/** Mode and numeric owner of each path in an image, from its export. */
async function owners(image: string, paths: string[]): Promise<Record<string, string>> {
  const listing = await exportListing(
    image,
    paths.map((p) => p.slice(1)),
  );
  return Object.fromEntries(
    listing.split('\n').map((l) => {
      const [mode, owner, , , , name] = l.split(/\s+/);
      return [`/${name.replace(/\/$/, '')}`, `${mode} ${owner}`];
    }),
  );
}

async function nginxChecks(image: string): Promise<void> {
  const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', image, '-t'], { reject: false });
  expect(t.stderr, image).toContain('test is successful');
  const files = await imageFiles(image);
  expect(files.get('/tmp'), image).toBe('drwxrwxrwt');
  for (const p of ['/bin/sh', '/usr/bin/sh', '/etc/shadow', '/usr/bin/apt']) expect(files.has(p), `${image} ${p}`).toBe(false);
  const o = await owners(image, ['/var/lib/nginx/body', '/var/lib/nginx/proxy']);
  expect(Object.values(o), image).toEqual(['drwx------ 33/33', 'drwx------ 33/33']);
  expect(await httpStatus(image, 80), image).toBe('200');
}

/**
 * Serves the image with no network of its own and asks it over loopback inside its network namespace, with
 * this machine's curl entered there (nsenter): no port is shared with other tests.
 */
async function httpStatus(image: string, port: number): Promise<string> {
  const name = `scratchify-e2e-http-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await execa(DOCKER, ['run', '-d', '--name', name, '--network', 'none', image]);
  try {
    const pid = (await execa(DOCKER, ['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim();
    let status = '000';
    for (let i = 0; i < 50 && status !== '200'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (
        await execa('nsenter', ['-t', pid, '-n', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`], {
          reject: false,
        })
      ).stdout;
    }
    return status;
  } finally {
    await execa(DOCKER, ['rm', '-f', name]);
  }
}

describe.runIf(run)('scratchify inside a builder stage (examples/in-builder) and the three carriers', () => {
  beforeAll(async () => {
    const r = await execa('bash', [join(EXAMPLE, 'build.sh')], { all: true, reject: false, timeout: 900_000 });
    expect(r.exitCode, r.all).toBe(0);
  }, 900_000);

  it('nginx cut inside its builder answers HTTP 200 on its port, keeps /tmp 1777 and www-data temp dirs, holds no shell', async () => {
    const image = 'scratchify-examples/in-builder-nginx:scratch';
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', image, '-t'], { reject: false });
    expect(t.stderr).toContain('test is successful');
    expect(await httpStatus(image, 8081)).toBe('200');
    expect((await imageFiles(image)).get('/tmp')).toBe('drwxrwxrwt');
    expect(Object.values(await owners(image, ['/var/lib/nginx/body']))).toEqual(['drwx------ 33/33']);
  });

  it('the C program cut inside its builder runs as nonroot, its user found through /etc/passwd', async () => {
    const r = await execa(DOCKER, ['run', '--rm', '--network', 'none', 'scratchify-examples/in-builder-c:scratch']);
    expect(r.stdout).toBe('hello from nonroot (uid 65532)');
  });

  it('Podman builds the same multi-stage Dockerfile, and the result passes nginx -t', async () => {
    await ensureImage('podman', 'scratchify-examples/in-builder:bookworm', join(TEST_CACHE, 'examples-in-builder.tar'));
    await podmanBuild(EXAMPLE, 'localhost/scratchify-examples/in-builder-nginx:podman', 'Dockerfile.nginx');
    // nginx -t passes; a COPY from a stage keeps the bundle's modes and owners with Buildah too.
    await expectPodmanNginx('localhost/scratchify-examples/in-builder-nginx:podman');
  }, 600_000);

  it('nginx from one base three ways (COPY lines, --bundle FILE.tar, --bundle DIR in a stage): same files, same checks, HTTP 200', async () => {
    const base = (await nginxBase()).ref;
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-three-'));
    cpSync(join(EXAMPLE, 'scratchify'), join(ctx, 'scratchify'), { recursive: true });
    await execa(BIN, ['/usr/sbin/nginx', '--base', base, '-o', join(ctx, 'Dockerfile.copy')]);
    await execa(BIN, ['/usr/sbin/nginx', '--base', base, '--bundle', join(ctx, 'root.tar')]);
    const entry = 'ENTRYPOINT ["/usr/sbin/nginx", "-g", "daemon off;"]\n';
    writeFileSync(join(ctx, 'Dockerfile.tar'), `FROM scratch\nADD root.tar /\n${entry}`);
    writeFileSync(
      join(ctx, 'Dockerfile.dir'),
      `FROM ${base} AS build\nCOPY scratchify/ /opt/scratchify/\nRUN /opt/scratchify/node /opt/scratchify/bin/run.js /usr/sbin/nginx --bundle /out\nFROM scratch\nCOPY --from=build /out/ /\n${entry}`,
    );
    const made: Record<string, { files: string[]; bytes: number; layers: number }> = {};
    for (const way of ['copy', 'tar', 'dir']) {
      const tag = `scratchify-test/nginx-three:${way}`;
      await dockerBuild(ctx, tag, `Dockerfile.${way}`);
      await nginxChecks(tag);
      const files = [...(await imageFiles(tag)).keys()]
        .filter((p) => p !== '/.dockerenv' && !/^\/(dev|proc|sys|etc\/(hosts|hostname|resolv\.conf|mtab))(\/|$)/.test(p))
        .sort();
      const inspect = JSON.parse((await execa(DOCKER, ['image', 'inspect', tag])).stdout)[0];
      made[way] = { files, bytes: inspect.Size, layers: inspect.RootFS.Layers.length };
    }
    expect(made.tar.files).toEqual(made.copy.files);
    expect(made.dir.files).toEqual(made.copy.files);
    // Reported for the record: sizes and layer counts of the three images.
    console.log(
      Object.entries(made)
        .map(([w, m]) => `${w}: ${m.bytes} bytes, ${m.layers} layers, ${m.files.length} paths`)
        .join('; '),
    );
  }, 900_000);
});
