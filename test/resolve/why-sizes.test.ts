import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/doctor/diagnose.js';
import { whyChains } from '../../src/resolve/why.js';
import { loadAll } from '../../src/resolve/load.js';
import { sizeAttribution } from '../../src/resolve/sizes.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import { FIXTURES } from '../helpers/paths.js';

const root = new Root(new DirBackend('/'));
const prog = join(FIXTURES, 'rpath_is_inherited/bin/prog');
const hello = join(FIXTURES, 'hello/hello');

describe('why', () => {
  it('lists every chain to a library, program first', () => {
    const { maps } = loadAll(root, [prog], []);
    expect(whyChains(maps, 'libbar.so').chains).toEqual([[prog, 'libfoo.so', 'libbar.so']]);
    const libc = whyChains(maps, 'libc.so.6').chains.map((c) => c.join(' > '));
    expect(libc).toEqual(expect.arrayContaining([`${prog} > libc.so.6`, `${prog} > libfoo.so > libbar.so > libc.so.6`]));
  });

  it('finds nothing for a library nobody needs', () => {
    const { maps } = loadAll(root, [prog], []);
    expect(whyChains(maps, 'libnope.so.9').chains).toEqual([]);
  });
});

describe('size attribution', () => {
  it('splits bytes into what each root adds alone and what it shares', () => {
    const { maps } = loadAll(root, [prog], [hello]);
    const [p, h] = sizeAttribution(maps);
    const objects = maps[0].objects;
    const size = (suffix: string) => objects.find((o) => o.real.endsWith(suffix))!.size;
    // prog alone brings itself, libfoo and libbar; libc and the loader are shared with hello.
    expect(p.alone).toBe(size('bin/prog') + size('lib/libfoo.so') + size('lib/libbar.so'));
    expect(h.alone).toBe(size('hello/hello'));
    expect(p.shared).toBe(h.shared);
    expect(p.shared).toBe(size('/libc.so.6') + size('/ld-linux-x86-64.so.2'));
  });
});

describe('doctor on a directory', () => {
  it('names the missing library, its chain and the paths tried', () => {
    const d = diagnose(root, join(FIXTURES, 'runpath_is_not_inherited/bin/prog'));
    expect(d.starts).toBe(false);
    const p = d.problems[0];
    expect(p).toMatchObject({ kind: 'not-found', name: 'libbar.so', fatal: true });
    expect(p.chain.map((c) => c.replace(FIXTURES, ''))).toEqual([
      '/runpath_is_not_inherited/bin/prog',
      '/runpath_is_not_inherited/bin/../lib/libfoo.so',
      'libbar.so',
    ]);
    expect(p.message).toBe('error while loading shared libraries: libbar.so: cannot open shared object file: No such file or directory');
  });

  it('a program whose needs are all met would start', () => {
    expect(diagnose(root, hello)).toMatchObject({ starts: true, problems: [] });
  });
});
