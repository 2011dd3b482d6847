import { describe, expect, it } from 'vitest';
import { dependencyOrder, imageLayers } from '../../src/image/layers.js';
import type { PackageReport } from '../../src/packages/metadata.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import type { TarEntry } from '../../src/rootfs/tar-write.js';
import { imageRoot } from './image-root.js';

const pkg = (name: string, files: string[], depends = '') => ({
  pkg: { name, arch: 'amd64', version: '1', infoName: name, paragraph: `Package: ${name}\n${depends ? `Depends: ${depends}\n` : ''}` },
  files,
});
const file = (path: string): TarEntry => ({ type: 'file', path, mode: 0o644, uid: 0, gid: 0, content: Buffer.from(path) });

describe('the layers of a written image', () => {
  const root = new Root(new DirBackend(imageRoot()));

  it('packages in dependency order, a several-library package cut per library, a tree its own, unowned above, the scaffold on top', () => {
    const report: PackageReport = {
      packages: [
        pkg('zlib1g', ['/lib64/libz.so.1.2.13', '/lib64/libz.so.1'], 'libc6'),
        pkg('libc6', ['/lib64/libc.so.6', '/lib64/libm.so.6', '/usr/share/doc/libc6/copyright', '/usr/lib/gconv/x.so']),
      ],
      unowned: ['/app/prog'],
    };
    const entries: TarEntry[] = [
      { type: 'dir', path: '/tmp', mode: 0o1777, uid: 0, gid: 0 },
      file('/etc/passwd'),
      file('/app/prog'),
      file('/lib64/libz.so.1.2.13'),
      { type: 'symlink', path: '/lib64/libz.so.1', target: 'libz.so.1.2.13' },
      file('/lib64/libc.so.6'),
      file('/lib64/libm.so.6'),
      file('/usr/share/doc/libc6/copyright'),
      file('/usr/lib/gconv/x.so'),
    ];
    const layers = imageLayers(entries, new Set(['/tmp', '/etc/passwd']), report, root, ['/usr/lib/gconv']);
    expect(layers.map((l) => [l.name, l.entries.filter((e) => e.type !== 'dir').map((e) => e.path)])).toEqual([
      ['libc6 1', ['/usr/share/doc/libc6/copyright']],
      ['libc6 1: /lib64/libc.so.6', ['/lib64/libc.so.6']],
      ['libc6 1: /lib64/libm.so.6', ['/lib64/libm.so.6']],
      ['libc6 1: /usr/lib/gconv', ['/usr/lib/gconv/x.so']],
      ['zlib1g 1', ['/lib64/libz.so.1.2.13', '/lib64/libz.so.1']],
      ["the program's own and unowned files", ['/app/prog']],
      ['the scaffold', ['/etc/passwd']],
    ]);
    // Each layer holds the directories above its files as the base has them; the scaffold's directories are its own.
    expect(
      layers[0].entries
        .filter((e) => e.type === 'dir')
        .map((e) => e.path)
        .sort(),
    ).toEqual(['/usr', '/usr/share', '/usr/share/doc', '/usr/share/doc/libc6']);
    expect(layers[3].entries.find((e) => e.path === '/usr/lib')).toMatchObject({ type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    expect(layers.at(-1)!.entries.find((e) => e.path === '/tmp')).toMatchObject({ mode: 0o1777 });
  });

  it('past the cap, the packages fewest others depend on share one layer, and the count stays within it', () => {
    const names = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const report: PackageReport = {
      packages: [pkg('base', ['/b']), ...names.map((n) => pkg(n, [`/${n}`], 'base'))],
      unowned: [],
    };
    const layers = imageLayers([file('/b'), ...names.map((n) => file(`/${n}`))], new Set(), report, root, [], 8);
    expect(layers.length).toBeLessThanOrEqual(8);
    expect(layers[0].name).toBe('base 1');
    const merged = layers.find((l) => l.packages.length > 1)!;
    expect(merged.name).toBe(`${merged.packages.length} packages few others depend on`);
    expect(new Set(layers.flatMap((l) => l.entries.map((e) => e.path)))).toEqual(new Set(['/b', ...names.map((n) => `/${n}`)]));
  });

  it('dependency order: dependencies first, cycles broken, ties by name', () => {
    const deps: Record<string, string[]> = { a: ['c'], b: [], c: ['b', 'a'], d: ['x'] };
    expect(dependencyOrder(['d', 'c', 'b', 'a'], (n) => new Set(deps[n]))).toEqual(['b', 'c', 'a', 'd']);
  });
});
