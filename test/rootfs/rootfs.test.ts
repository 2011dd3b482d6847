import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
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
