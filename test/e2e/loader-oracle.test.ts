import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { Root } from '../../src/rootfs/root.js';
import { indexTar, TarBackend } from '../../src/rootfs/tar.js';
import { Resolver } from '../../src/resolve/resolver.js';
import { globInRoot } from '../../src/rootfs/glob.js';
import { DOCKER, IN_CI, dockerAnswers, nginxBase } from '../helpers/engine.js';
import { parseLdsoList } from '../helpers/ldso.js';
import { namesToPaths } from '../helpers/linkmap.js';

const run = (await dockerAnswers()) || IN_CI;

/**
 * The real loader is the oracle: `ld.so --list` run inside a container of the base image, for every ELF
 * file under /usr/bin and /usr/sbin and for nginx's modules, against what `resolve` reads from the image.
 */
describe.runIf(run)('resolve agrees with ld.so --list inside the image', () => {
  let root: Root;
  let resolver: Resolver;
  let listings: Map<string, string>;
  let files: string[];

  beforeAll(async () => {
    const base = await nginxBase();
    root = new Root(new TarBackend('nginx base', base.tarball, indexTar(base.tarball)));
    resolver = new Resolver(root);
    const candidates = [
      ...globInRoot(root, '/usr/bin/*'),
      ...globInRoot(root, '/usr/sbin/*'),
      ...globInRoot(root, '/usr/lib/nginx/modules/*.so'),
    ];
    // Dynamic ELF objects only: ld.so --list refuses static ones and scripts.
    files = candidates.filter((p) => {
      try {
        const e = resolver.elf(root.resolve(p).path);
        return e.dynamic && e.needed.length > 0;
      } catch {
        return false;
      }
    });
    const script = 'for f in "$@"; do echo "=== $f"; /lib64/ld-linux-x86-64.so.2 --list "$f" 2>&1; done';
    const { stdout } = await execa(
      DOCKER,
      ['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', base.ref, '-c', script, 'sh', ...files],
      { maxBuffer: 64 << 20, timeout: 300_000 },
    );
    listings = new Map();
    for (const chunk of stdout.split('=== ').slice(1)) {
      const nl = chunk.indexOf('\n');
      listings.set(chunk.slice(0, nl), chunk.slice(nl + 1));
    }
  }, 900_000);

  it('covers nginx, its five modules and well over a hundred programs', () => {
    expect(files).toContain('/usr/sbin/nginx');
    expect(files.filter((f) => f.startsWith('/usr/lib/nginx/modules/'))).toHaveLength(5);
    expect(files.length).toBeGreaterThan(100);
    expect(listings.size).toBe(files.length);
  });

  it('every file: the same library for every name, the same misses', () => {
    const differences: string[] = [];
    for (const f of files) {
      const oracle = parseLdsoList(listings.get(f) ?? '');
      const ours = namesToPaths(resolver.loadProgram(f));
      for (const [name, path] of oracle.found) {
        if (ours.get(name) !== path) differences.push(`${f}: ${name}: loader ${path}, scratchify ${ours.get(name)}`);
      }
      if (oracle.fatal && ours.get(oracle.fatal) !== null) differences.push(`${f}: loader failed on ${oracle.fatal}`);
      // ld.so lists the interpreter once, by its PT_INTERP path, not under libc's DT_NEEDED name for it.
      const listed = new Set(oracle.found.values());
      for (const [name, path] of ours) {
        if (!oracle.found.has(name) && !oracle.fatal && !(path !== null && listed.has(path) && oracle.found.has(path))) {
          differences.push(`${f}: ${name} => ${path} only in scratchify`);
        }
      }
    }
    expect(differences).toEqual([]);
  });
});
