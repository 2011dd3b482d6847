import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';

/**
 * The docker client with BuildKit built in. Debian's docker.io ships it as /usr/bin/docker; a newer client
 * earlier on PATH may lack the buildx plugin. Both talk to the same daemon.
 */
export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
export const PODMAN_RUN = ['--runtime', 'runc'];
export const PODMAN_LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export const IN_CI = process.env.CI === 'true';

export async function dockerAnswers(): Promise<boolean> {
  try {
    await execa(DOCKER, ['info'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export async function podmanAnswers(): Promise<boolean> {
  try {
    await execa('podman', ['info'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** The Debian mirror this machine's apt uses (never a hard-coded host). */
function debianMirror(): string {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(text);
    if (m) return m[1];
  }
  throw new Error('no Debian mirror configured in /etc/apt');
}

export const TEST_CACHE = process.env.SCRATCHIFY_TEST_CACHE ?? join(homedir(), '.cache', 'scratchify-test');

export const NGINX_PACKAGES = [
  'nginx',
  'libnginx-mod-http-geoip',
  'libnginx-mod-http-image-filter',
  'libnginx-mod-http-xslt-filter',
  'libnginx-mod-mail',
  'libnginx-mod-stream',
];

/** A rootfs tarball from Debian packages via mmdebstrap, cached outside the repository. */
export async function baseTarball(name: string, suite: string, packages: string[], arch?: string): Promise<string> {
  mkdirSync(TEST_CACHE, { recursive: true });
  const tar = join(TEST_CACHE, `${name}.tar`);
  if (!existsSync(tar)) {
    // mmdebstrap picks the output format from the name's extension: keep .tar last.
    const tmp = join(TEST_CACHE, `${name}.partial.tar`);
    const include = packages.length ? [`--include=${packages.join(',')}`] : [];
    // Another architecture's maintainer scripts run under qemu-user (setup-machine.sh registers it): minutes.
    const foreign = arch ? [`--arch=${arch}`] : [];
    await execa('mmdebstrap', ['--variant=apt', ...foreign, ...include, suite, tmp, debianMirror()], { timeout: 1_200_000 });
    renameSync(tmp, tar);
  }
  return tar;
}

async function hasImage(cli: string, ref: string): Promise<boolean> {
  try {
    await execa(cli, ['image', 'inspect', ref], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Imports the tarball into the engine's store under `ref` unless it is there already. */
export async function ensureImage(cli: string, ref: string, tarball: string): Promise<void> {
  if (!(await hasImage(cli, ref))) await execa(cli, ['import', tarball, ref], { timeout: 600_000 });
}

export async function nginxBase(): Promise<{ ref: string; tarball: string }> {
  const tarball = await baseTarball('nginx-bookworm', 'bookworm', NGINX_PACKAGES);
  const ref = 'scratchify-test/nginx-base:bookworm';
  await ensureImage(DOCKER, ref, tarball);
  return { ref, tarball };
}

/** docker build with BuildKit, no network. One attempt: a build that fails now and then is a bug in what we generate. */
export async function dockerBuild(context: string, tag: string, dockerfile = 'Dockerfile'): Promise<void> {
  const args = ['build', '--network', 'none', '-q', '-f', join(context, dockerfile), '-t', tag, context];
  const r = await execa(DOCKER, args, { env: { DOCKER_BUILDKIT: '1' }, timeout: 600_000, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`docker build ${tag} failed:\n${r.all}`);
}

/** podman build (runc, lowered limits, no network), once. */
export async function podmanBuild(context: string, tag: string, dockerfile = 'Dockerfile'): Promise<void> {
  const args = [...PODMAN_RUN, 'build', ...PODMAN_LIMITS, '--network', 'none', '-q', '-f', join(context, dockerfile), '-t', tag, context];
  const r = await execa('podman', args, { timeout: 600_000, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`podman build ${tag} failed:\n${r.all}`);
}

/** Every path in an image, as `docker export` (or podman's) of a created (never started) container lists it. */
export async function imageFiles(tag: string, cli = DOCKER): Promise<Map<string, string>> {
  const { stdout: cid } = await execa(cli, ['create', tag, '/never-runs']);
  try {
    const { stdout } = await execa('sh', ['-c', `${cli} export ${cid} | tar -tv --quoting-style=literal`], { maxBuffer: 256 << 20 });
    const out = new Map<string, string>();
    for (const line of stdout.split('\n')) {
      const m = /^(\S+)\s+\S+\s+\d+\s+\S+\s+\S+\s+(.*?)(?: -> .*)?$/.exec(line);
      if (m) out.set(`/${m[2].replace(/^\.\//, '').replace(/\/$/, '')}`, m[1]);
    }
    return out;
  } finally {
    await execa(cli, ['rm', '-f', cid]);
  }
}

/** Debian packages of daemons that switch accounts, and curl and python, in one base (one mmdebstrap in CI). */
export const SERVICES_PACKAGES = ['unbound', 'bind9', 'chrony', 'squid', 'curl', 'python3', 'ca-certificates'];

export async function servicesBase(): Promise<{ ref: string; tarball: string }> {
  const tarball = await baseTarball('services2-bookworm', 'bookworm', SERVICES_PACKAGES);
  const ref = 'scratchify-test/services:bookworm-v2';
  await ensureImage(DOCKER, ref, tarball);
  return { ref, tarball };
}

/**
 * Programs whose needs go past DT_NEEDED, from several ecosystems, in one base without strace: interpreters
 * (python3 with tzdata, perl, ruby, lua, tcl, php), plugin loaders (rsyslog, gdk-pixbuf), a helper exec'er
 * (tar runs gzip), gawk's @include path, openssl's compiled-in config, and ca-certificates.
 */
export const VERIFY_PACKAGES = [
  'python3',
  'tzdata',
  'perl',
  'ruby',
  'lua5.4',
  'tcl8.6',
  'php-cli',
  'rsyslog',
  'libgdk-pixbuf-2.0-0',
  'librsvg2-common',
  'gawk',
  'openssl',
  'ca-certificates',
  'file',
];

export async function verifyBase(): Promise<{ ref: string; tarball: string }> {
  const tarball = await baseTarball('verify-bookworm', 'bookworm', VERIFY_PACKAGES);
  const ref = 'scratchify-test/verify:bookworm';
  await ensureImage(DOCKER, ref, tarball);
  return { ref, tarball };
}

/** `tar -tv --numeric-owner` lines of the given paths (no leading /, no recursion) in an image's export. */
export async function exportListing(image: string, paths: string[], cli = DOCKER): Promise<string> {
  const cid = (await execa(cli, ['create', image, '/never-runs'])).stdout.trim();
  try {
    return (await execa('sh', ['-c', 'id=$1; shift; "$0" export "$id" | tar -tv --numeric-owner --no-recursion "$@"', cli, cid, ...paths]))
      .stdout;
  } finally {
    await execa(cli, ['rm', '-f', cid]);
  }
}

/** Debian bullseye (glibc 2.31): an older glibc than the build machine's, for symbol-version failures. */
export async function bullseyeBase(): Promise<{ ref: string; tarball: string }> {
  const tarball = await baseTarball('bullseye', 'bullseye', []);
  const ref = 'scratchify-test/bullseye:base';
  await ensureImage(DOCKER, ref, tarball);
  return { ref, tarball };
}

/** Runs an image and returns everything it printed, whatever its exit status. */
export async function runImage(tag: string, args: string[] = []): Promise<{ code: number; output: string }> {
  const r = await execa(DOCKER, ['run', '--rm', '--network', 'none', tag, ...args], { reject: false, all: true, timeout: 120_000 });
  return { code: r.exitCode ?? -1, output: r.all ?? '' };
}

/**
 * An nginx image built with Podman: `nginx -t` passes there, and the modes and owners it relies on (a 1777
 * /tmp, www-data's 0700 body temp directory) came through Buildah intact.
 */
export async function expectPodmanNginx(tag: string): Promise<void> {
  const t = await execa('podman', [...PODMAN_RUN, 'run', '--rm', ...PODMAN_LIMITS, '--network', 'none', tag, '-t'], { reject: false });
  expect(t.stderr).toContain('test is successful');
  const listing = await exportListing(tag, ['tmp', 'var/lib/nginx/body'], 'podman');
  expect(listing).toMatch(/^drwxrwxrwt 0\/0 .* tmp\/$/m);
  expect(listing).toMatch(/^drwx------ 33\/33 .* var\/lib\/nginx\/body\/$/m);
}

/** Services verify starts and probes: PostgreSQL (psql), Redis (redis-cli), memcached, and webfs with its MIME types. */
export const PROBE_SERVICES_PACKAGES = ['postgresql', 'redis-server', 'memcached', 'webfs', 'media-types'];

export async function probeServicesBase(cli = DOCKER): Promise<{ ref: string; tarball: string }> {
  const tarball = await baseTarball('probe-services-bookworm', 'bookworm', PROBE_SERVICES_PACKAGES);
  const ref = 'scratchify-test/probe-services:bookworm';
  await ensureImage(cli, ref, tarball);
  return { ref, tarball };
}

/** Services the tests had not used before: MariaDB (with its client), lighttpd (with curl), Mosquitto (with its clients). */
export const MORE_SERVICES_PACKAGES = ['mariadb-server', 'mariadb-client', 'lighttpd', 'mosquitto', 'mosquitto-clients', 'curl'];

export async function moreServicesBase(): Promise<{ ref: string; tarball: string }> {
  const tarball = await baseTarball('more-services-bookworm', 'bookworm', MORE_SERVICES_PACKAGES);
  const ref = 'scratchify-test/more-services:bookworm';
  await ensureImage(DOCKER, ref, tarball);
  return { ref, tarball };
}

/** The examples' builder (Debian's Go toolchain and gcc), shared with examples/: the same cache entry and tag. */
export async function builderBase(): Promise<string> {
  const tarball = await baseTarball('examples-builder-v2', 'bookworm', [
    'golang-go',
    'gcc',
    'libc6-dev',
    'zlib1g-dev',
    'ca-certificates',
    'strace',
  ]);
  const ref = 'scratchify-examples/builder:bookworm-v2';
  await ensureImage(DOCKER, ref, tarball);
  return ref;
}

/** Debian's OpenJDK 17 (the JDK, headless: javac for a builder stage, and the runtime). */
export async function jdkBase(): Promise<string> {
  const tarball = await baseTarball('jdk-bookworm', 'bookworm', ['openjdk-17-jdk-headless']);
  const ref = 'scratchify-test/jdk:bookworm';
  await ensureImage(DOCKER, ref, tarball);
  return ref;
}

/** Debian's architectures as the engines name their platforms. */
export const PLATFORMS = { arm64: 'linux/arm64', i386: 'linux/386' } as const;

/**
 * A bookworm base of another architecture (nginx with a module, python3, curl), labelled with its platform: docker
 * import labels every image amd64, so it is built FROM scratch with the root ADDed and --platform given.
 */
export async function foreignBase(arch: keyof typeof PLATFORMS): Promise<string> {
  const tarball = await baseTarball(`nginx-${arch}`, 'bookworm', ['nginx', 'libnginx-mod-stream', 'python3', 'curl'], arch);
  const ref = `scratchify-test/nginx-base:bookworm-${arch}`;
  if (await hasImage(DOCKER, ref)) return ref;
  const ctx = mkdtempSync(join(tmpdir(), 'scratchify-foreign-'));
  try {
    linkOrCopy(tarball, join(ctx, 'root.tar'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD root.tar /\n');
    await execa(DOCKER, ['build', '-q', '--network', 'none', '--platform', PLATFORMS[arch], '-t', ref, ctx], {
      env: { DOCKER_BUILDKIT: '1' },
      timeout: 600_000,
    });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return ref;
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * Debian's registry (distribution) serving on loopback from a temporary directory, for multi-platform bases and
 * digest pinning; `stop` ends it and removes its storage.
 */
export async function loopbackRegistry(
  port: number,
  user?: { name: string; password: string },
): Promise<{ host: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-registry-'));
  // With a user, basic auth from an htpasswd file (bcrypt, which distribution requires).
  if (user) await execa('htpasswd', ['-Bbc', join(dir, 'htpasswd'), user.name, user.password]);
  const auth = user ? `auth:\n  htpasswd:\n    realm: scratchify-test\n    path: ${join(dir, 'htpasswd')}\n` : '';
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child = execa('docker-registry', ['serve', join(dir, 'config.yml')], { reject: false, stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://${host}/v2/`);
      if (r.ok || r.status === 401) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    host,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A multi-platform list in the registry, from local images of each platform (skopeo copies, Podman lists). */
export async function pushList(host: string, name: string, images: Record<string, string>): Promise<string> {
  const list = `localhost/scratchify-test-list-${process.pid}`;
  await execa('podman', ['manifest', 'rm', list], { reject: false });
  await execa('podman', ['manifest', 'create', list]);
  for (const [arch, image] of Object.entries(images)) {
    const one = `docker://${host}/${name}:${arch}`;
    await execa('skopeo', ['copy', '--dest-tls-verify=false', `docker-daemon:${image}`, one], { timeout: 600_000 });
    await execa('podman', ['manifest', 'add', '--tls-verify=false', list, one]);
  }
  await execa('podman', ['manifest', 'push', '--all', '--tls-verify=false', list, `docker://${host}/${name}:multi`], { timeout: 600_000 });
  await execa('podman', ['manifest', 'rm', list], { reject: false });
  return `${host}/${name}:multi`;
}

/** ImageMagick, whose coders are modules it loads by name from a directory of many. */
export async function imagemagickBase(): Promise<string> {
  const tarball = await baseTarball('imagemagick-bookworm', 'bookworm', ['imagemagick']);
  const ref = 'scratchify-test/imagemagick:bookworm';
  await ensureImage(DOCKER, ref, tarball);
  return ref;
}
