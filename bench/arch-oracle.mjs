#!/usr/bin/env node
// The resolver against each architecture's own loader: for every Debian architecture, a bookworm root made with
// mmdebstrap --arch, labelled with its platform, and `ld.so --list` run in a container of it (under qemu-user
// where this machine does not run the architecture itself) for every dynamic ELF program in /usr/bin and
// /usr/sbin; scratchify resolves the same files from the root's archive, never running anything.
// Usage: node bench/arch-oracle.mjs [--arch arm64,armhf,...] [--packages nginx,python3,curl]
// Needs: npm run build, mmdebstrap, qemu-user-static + binfmt-support, docker. Results: bench/results/arch-oracle.json
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeOption } from './lib.mjs';

const dist = join(import.meta.dirname, '..', 'dist');
const { Root } = await import(join(dist, 'rootfs/root.js'));
const { indexTar, TarBackend } = await import(join(dist, 'rootfs/tar.js'));
const { Resolver } = await import(join(dist, 'resolve/resolver.js'));
const { globInRoot } = await import(join(dist, 'rootfs/glob.js'));
const { abiOf } = await import(join(dist, 'elf/abi.js'));

/** Debian's architectures in bookworm, with the platform engines give them. */
const ARCHES = {
  amd64: 'linux/amd64',
  arm64: 'linux/arm64',
  armhf: 'linux/arm/v7',
  armel: 'linux/arm/v5',
  i386: 'linux/386',
  ppc64el: 'linux/ppc64le',
  s390x: 'linux/s390x',
  mips64el: 'linux/mips64le',
  mipsel: 'linux/mipsle',
};

const argv = process.argv.slice(2);
const arches = takeOption(argv, '--arch', Object.keys(ARCHES).join(',')).split(',');
const packages = takeOption(argv, '--packages', 'nginx,python3,curl,openssl');
const cache = process.env.SCRATCHIFY_TEST_CACHE ?? join(homedir(), '.cache', 'scratchify-test');
const mirror = /^URIs:\s*(\S+)/m.exec(readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8'))[1];
const docker = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** What each DT_NEEDED name became, as ld.so --list prints it. */
function parseList(text) {
  const found = new Map();
  let fatal;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const err = /error while loading shared libraries: ([^:]+):/.exec(line);
    if (err) fatal = err[1];
    let m = /^(\S+) => not found$/.exec(line);
    if (m) found.set(m[1], null);
    else if ((m = /^(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(line))) found.set(m[1], m[2]);
    else if ((m = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line))) found.set(m[1], m[1]);
  }
  return { found, fatal };
}

function namesToPaths(map) {
  const out = new Map();
  for (const o of map.objects) {
    if (o.how.kind === 'interpreter') out.set(o.path, o.path);
    for (const d of o.deps) if (!out.has(d.name)) out.set(d.name, d.object?.path ?? null);
  }
  return out;
}

function rootFor(arch) {
  const tar = join(cache, `oracle-${arch}.tar`);
  if (!existsSync(tar)) {
    const partial = join(cache, `oracle-${arch}.partial.tar`);
    const t0 = Date.now();
    execFileSync('mmdebstrap', ['--variant=apt', `--arch=${arch}`, `--include=${packages}`, 'bookworm', partial, mirror], {
      stdio: 'ignore',
    });
    renameSync(partial, tar);
    console.error(`${arch}: root made in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const ref = `scratchify-bench/oracle:${arch}`;
  if (spawnSync(docker, ['image', 'inspect', ref]).status !== 0) {
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-oracle-'));
    linkSync(tar, join(ctx, 'root.tar'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD root.tar /\n');
    execFileSync(docker, ['build', '-q', '--network', 'none', '--platform', ARCHES[arch], '-t', ref, ctx], {
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
      stdio: 'ignore',
    });
    rmSync(ctx, { recursive: true, force: true });
  }
  return { tar, ref };
}

const resultsFile = join(import.meta.dirname, 'results', 'arch-oracle.json');
// Runs of some architectures add to the results of others.
const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
for (const arch of arches) {
  const { tar, ref } = rootFor(arch);
  const root = new Root(new TarBackend(`${arch} root`, tar, indexTar(tar)));
  const resolver = new Resolver(root);
  const files = [...globInRoot(root, '/usr/bin/*'), ...globInRoot(root, '/usr/sbin/*')].filter((p) => {
    try {
      const e = resolver.elf(root.resolve(p).path);
      return e.dynamic && e.needed.length > 0;
    } catch {
      return false;
    }
  });
  const loader = abiOf(resolver.elf(root.resolve(files[0]).path)).interpreter;
  const t0 = Date.now();
  const script = `for f in "$@"; do echo "=== $f"; ${loader} --list "$f" 2>&1; done`;
  const out = execFileSync(
    docker,
    ['run', '--rm', '--network', 'none', '--platform', ARCHES[arch], '--entrypoint', '/bin/sh', ref, '-c', script, 'sh', ...files],
    {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stderr: 'ignore',
    },
  );
  const oracleSeconds = (Date.now() - t0) / 1000;
  const listings = new Map();
  for (const chunk of out.split('=== ').slice(1)) {
    const nl = chunk.indexOf('\n');
    listings.set(chunk.slice(0, nl), chunk.slice(nl + 1));
  }
  const t1 = Date.now();
  const differences = [];
  let names = 0;
  for (const f of files) {
    const oracle = parseList(listings.get(f) ?? '');
    const ours = namesToPaths(resolver.loadProgram(f));
    for (const [name, path] of oracle.found) {
      names++;
      if (ours.get(name) !== path) differences.push(`${f}: ${name}: loader ${path}, scratchify ${ours.get(name)}`);
    }
    if (oracle.fatal && ours.get(oracle.fatal) !== null) differences.push(`${f}: the loader failed on ${oracle.fatal}`);
    // And the other way: nothing scratchify loads that the loader does not (it lists the interpreter by its path).
    const listed = new Set(oracle.found.values());
    for (const [name, path] of ours) {
      if (!oracle.found.has(name) && !oracle.fatal && !(path !== null && listed.has(path)))
        differences.push(`${f}: ${name} => ${path} only in scratchify`);
    }
  }
  results[arch] = {
    platform: ARCHES[arch],
    loader,
    programs: files.length,
    names,
    agreeing: files.length - new Set(differences.map((d) => d.split(':')[0])).size,
    differences,
    oracleSeconds,
    resolveMs: Date.now() - t1,
  };
  console.log(
    `${arch.padEnd(9)} ${files.length} programs, ${names} names: ${differences.length} differences (ld.so under ${ARCHES[arch]} ${oracleSeconds.toFixed(0)} s; scratchify ${Date.now() - t1} ms)`,
  );
  for (const d of differences.slice(0, 10)) console.log(`    ${d}`);
}
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
