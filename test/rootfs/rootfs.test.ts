import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DirBackend } from '../../src/rootfs/dir.js';
import { globInRoot } from '../../src/rootfs/glob.js';
import { LookupError, Root } from '../../src/rootfs/root.js';

/** A root with hostile links, beside a canary file the root must never reach. */
let base: string;
let rootDir: string;
let root: Root;
let reads: string[];

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'scratchify-root-'));
  writeFileSync(join(base, 'CANARY'), 'outside');
  rootDir = join(base, 'root');
  for (const d of ['usr/lib/x', 'etc', 'opt/app']) mkdirSync(join(rootDir, d), { recursive: true });
  writeFileSync(join(rootDir, 'usr/lib/x/libz.so.1'), 'inside');
  writeFileSync(join(rootDir, 'CANARY'), "the root's own");
  symlinkSync('usr/lib', join(rootDir, 'lib'));
  symlinkSync('/usr/lib/x/libz.so.1', join(rootDir, 'usr/lib/abs-link'));
  symlinkSync('../../../../../../CANARY', join(rootDir, 'etc/escape'));
  symlinkSync(`${base}/CANARY`, join(rootDir, 'etc/host-abs'));
  symlinkSync('loop-b', join(rootDir, 'etc/loop-a'));
  symlinkSync('loop-a', join(rootDir, 'etc/loop-b'));
  symlinkSync('/nowhere', join(rootDir, 'etc/dangling'));
  symlinkSync('.', join(rootDir, 'opt/app/self'));
  const backend = new DirBackend(rootDir);
  reads = [];
  const lstat = backend.lstat.bind(backend);
  backend.lstat = (p) => {
    reads.push(p);
    return lstat(p);
  };
  root = new Root(backend);
});

describe('Root resolves every link inside the tree', () => {
  it('a relative directory link (usrmerge /lib -> usr/lib)', () => {
    const r = root.resolve('/lib/x/libz.so.1');
    expect(r.path).toBe('/usr/lib/x/libz.so.1');
    expect(r.hops).toEqual([{ link: '/lib', target: 'usr/lib' }]);
  });

  it("an absolute link target means the root's /", () => {
    expect(root.resolve('/usr/lib/abs-link').path).toBe('/usr/lib/x/libz.so.1');
  });

  it(".. stops at the top: an escape by .. lands on the root's own file", () => {
    const r = root.resolve('/etc/escape');
    expect(r.path).toBe('/CANARY');
    expect(root.readText('/etc/escape')).toBe("the root's own");
  });

  it('an absolute link to a host path is looked up inside the root (and is missing there)', () => {
    expect(() => root.resolve('/etc/host-abs')).toThrow(LookupError);
  });

  it('a link loop ends with ELOOP after 40 links', () => {
    try {
      root.resolve('/etc/loop-a');
      expect.unreachable();
    } catch (e) {
      expect((e as LookupError).code).toBe('ELOOP');
    }
  });

  it('a dangling link is ENOENT; lookup gives undefined', () => {
    expect(root.lookup('/etc/dangling')).toBeUndefined();
    expect(() => root.resolve('/etc/dangling')).toThrow(/does not exist/);
  });

  it('a file used as a directory is ENOTDIR', () => {
    expect(() => root.resolve('/usr/lib/x/libz.so.1/more')).toThrow(/is not a directory/);
  });

  it('followLast=false keeps the final link', () => {
    expect(root.resolve('/lib', false).entry.type).toBe('symlink');
  });

  it('never looked at anything outside the root', () => {
    root.lookup('/etc/host-abs');
    root.lookup('/etc/escape');
    for (const p of reads) expect(p.startsWith('/')).toBe(true);
    // Every backend path is root-relative; none names the directory that holds the canary.
    expect(reads.some((p) => p.includes(base))).toBe(false);
  });
});

describe('--include globs inside the root', () => {
  it('through a symlinked directory, keeping the spelling given', () => {
    expect(globInRoot(root, '/lib/x/*.so*')).toEqual(['/lib/x/libz.so.1']);
  });

  it('never descends a link to . (no endless walk)', () => {
    expect(globInRoot(root, '/opt/**/*')).toEqual([]);
  });

  it('a pattern that matches nothing gives nothing', () => {
    expect(globInRoot(root, '/nope/*.so')).toEqual([]);
  });
});

describe('--include globs agree with fast-glob on the same tree', () => {
  // fast-glob on the host directory is the oracle: patterns within one directory are matched by picomatch
  // (fast-glob's own matcher) over the root's entries, the others by fast-glob's walk over the root.
  let dir: string;
  let tree: Root;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scratchify-globs-'));
    mkdirSync(join(dir, 'm/sub'), { recursive: true });
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    for (const f of [
      'm/ngx_a.so',
      'm/ngx_b.so',
      'm/libz.so.1',
      'm/.hidden.so',
      'm/b.txt',
      'm/sub/deep.so',
      'a/x.so',
      'b/y.so',
      'b/z.txt',
    ]) {
      writeFileSync(join(dir, f), '');
    }
    symlinkSync('ngx_a.so', join(dir, 'm/link.so'));
    tree = new Root(new DirBackend(dir));
  });

  it.each([
    '/m/*.so',
    '/m/*',
    '/m/ngx_?.so',
    '/m/[lb]*',
    '/m/*.so*',
    '/m/**/*.so',
    '/{a,b}/*.so',
    '/m/@(ngx_a|libz).so*',
    '/m/!(ngx_a).so',
    '/*/*.txt',
  ])('%s', async (pattern) => {
    const fg = (await import('fast-glob')).default;
    const want = fg
      .sync(pattern.slice(1), { cwd: dir, dot: true, onlyFiles: true, followSymbolicLinks: false })
      .map((m) => `/${m}`)
      .sort();
    // fast-glob's onlyFiles leaves out links; globInRoot takes a link to a file, as the loader would open it.
    const got = globInRoot(tree, pattern).filter((p) => tree.lstat(p)?.type === 'file');
    expect(got).toEqual(want);
    expect(want.length).toBeGreaterThan(0);
  });
});

describe('lookups agree with the kernel, whichever names were looked up before', () => {
  // Relative links only, inside one directory: there the kernel's own resolution is the root's, so realpath and
  // its errors are the oracle. A lookup starts from its directory's cached resolution; asking for the names in
  // two orders (parents first, then children first) must not change any answer.
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-kernel-'));
  for (const d of ['usr/lib/deep/er', 'usr/bin', 'etc']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'usr/lib/deep/er/f'), 'f');
  writeFileSync(join(dir, 'etc/conf'), 'c');
  symlinkSync('usr/lib', join(dir, 'lib'));
  symlinkSync('../lib/deep', join(dir, 'usr/bin/up'));
  symlinkSync('er/f', join(dir, 'usr/lib/deep/to-f'));
  symlinkSync('../../etc', join(dir, 'usr/lib/etc-dir'));
  symlinkSync('nope', join(dir, 'etc/dangling'));
  symlinkSync('conf', join(dir, 'etc/to-conf'));
  // A chain of links to a directory, and one to a file: 20 each, 40 together, the kernel's limit; one more fails.
  for (let i = 0; i < 20; i++) symlinkSync(i === 0 ? 'usr/lib/deep/er' : `d${i - 1}`, join(dir, `d${i}`));
  for (let i = 0; i < 21; i++) symlinkSync(i === 0 ? 'f' : `f${i - 1}`, join(dir, `usr/lib/deep/er/f${i}`));
  const names = [
    '/lib/deep/er/f',
    '/usr/bin/up/er/f',
    '/usr/bin/up/to-f',
    '/usr/bin/up/../deep/to-f',
    '/lib/etc-dir/conf',
    '/lib/etc-dir/to-conf',
    '/lib/etc-dir/dangling',
    '/lib/etc-dir/conf/x',
    '/etc/to-conf/x',
    '/usr/bin/up/missing/f',
    '/d19/f',
    '/d19/f19',
    '/d19/f20',
    '/d18/f20',
    '/lib/deep/er/../er/./f',
  ];
  const kernel = (p: string) => {
    try {
      // Not path.join, which would take the .. away before the kernel sees it.
      return realpathSync.native(`${dir}${p}`).slice(dir.length);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code;
    }
  };
  const ours = (r: Root, p: string) => {
    try {
      return r.resolve(p).path;
    } catch (e) {
      return (e as LookupError).code;
    }
  };

  it('each name, its parents asked first or last', () => {
    const expected = names.map(kernel);
    expect(expected).toContain('ELOOP');
    expect(expected).toContain('ENOTDIR');
    const parentsFirst = new Root(new DirBackend(dir));
    const parents = (p: string) => p.split('/').map((_, i, all) => all.slice(0, i + 1).join('/') || '/');
    for (const p of names) for (const q of parents(p)) ours(parentsFirst, q);
    expect(names.map((p) => ours(parentsFirst, p))).toEqual(expected);
    const childrenFirst = new Root(new DirBackend(dir));
    expect(names.map((p) => ours(childrenFirst, p))).toEqual(expected);
  });

  it('the links followed are the same either way', () => {
    const a = new Root(new DirBackend(dir));
    const b = new Root(new DirBackend(dir));
    ours(b, '/usr/bin/up');
    ours(b, '/d19');
    for (const p of ['/usr/bin/up/to-f', '/d19/f19']) expect(a.resolve(p).hops).toEqual(b.resolve(p).hops);
    expect(a.resolve('/d19/f19').hops).toHaveLength(40);
  });
});
