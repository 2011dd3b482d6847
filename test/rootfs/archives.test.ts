import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, linkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeScaffoldTar } from '../../src/generate/scaffold-tar.js';
import { indexTar, TarBackend } from '../../src/rootfs/tar.js';
import { Root } from '../../src/rootfs/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'scratchify-tar-'));

describe('scaffold archive, read back by GNU tar', () => {
  const entries = [
    { type: 'dir' as const, path: '/tmp', mode: 0o1777, uid: 0, gid: 0 },
    { type: 'dir' as const, path: '/var/lib/nginx/body', mode: 0o700, uid: 33, gid: 33 },
    { type: 'symlink' as const, path: '/lib', target: 'usr/lib' },
    {
      type: 'file' as const,
      path: '/etc/passwd',
      mode: 0o644,
      uid: 0,
      gid: 0,
      content: Buffer.from('root:x:0:0:root:/root:/sbin/nologin\n'),
    },
    { type: 'dir' as const, path: `/opt/${'d'.repeat(120)}/x`, mode: 0o755, uid: 0, gid: 0 },
  ];

  it('keeps modes, owners, links and long names; same bytes every time', () => {
    const a = writeScaffoldTar(entries);
    expect(a.equals(writeScaffoldTar([...entries].reverse()))).toBe(true);
    const p = join(tmp, 'scaffold.tar');
    writeFileSync(p, a);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', p], { encoding: 'utf8' });
    expect(listing).toMatch(/^drwxrwxrwt 0\/0 .* tmp\/$/m);
    expect(listing).toMatch(/^drwx------ 33\/33 .* var\/lib\/nginx\/body\/$/m);
    expect(listing).toMatch(/^lrwxrwxrwx 0\/0 .* lib -> usr\/lib$/m);
    expect(listing).toMatch(/^-rw-r--r-- 0\/0 +36 .* etc\/passwd$/m);
    expect(listing).toContain(`opt/${'d'.repeat(120)}/x/`);
  });
});

describe('tar index of an image export', () => {
  it('matches GNU tar on links, hard links, long names and modes, and reads member data', () => {
    const src = join(tmp, 'src');
    const long = `${'n'.repeat(150)}/${'m'.repeat(120)}.so`;
    mkdirSync(join(src, 'usr/lib', long.slice(0, long.lastIndexOf('/'))), { recursive: true });
    writeFileSync(join(src, 'usr/lib', long), 'long');
    writeFileSync(join(src, 'usr/lib/libz.so.1.2'), 'zlib');
    symlinkSync('libz.so.1.2', join(src, 'usr/lib/libz.so.1'));
    linkSync(join(src, 'usr/lib/libz.so.1.2'), join(src, 'usr/lib/hard'));
    symlinkSync('usr/lib', join(src, 'lib'));
    mkdirSync(join(src, 'tmp'));
    chmodSync(join(src, 'tmp'), 0o1777);
    const tarball = join(tmp, 'export.tar');
    execFileSync('tar', ['--format=posix', '-C', src, '-cf', tarball, '.']);
    const index = indexTar(tarball);
    const root = new Root(new TarBackend('test export', tarball, index));
    expect(root.readText('/lib/libz.so.1')).toBe('zlib');
    expect(root.readText('/usr/lib/hard')).toBe('zlib');
    expect(root.readText(`/lib/${long}`)).toBe('long');
    expect(root.resolve('/lib/libz.so.1').hops.map((h) => h.link)).toEqual(['/lib', '/usr/lib/libz.so.1']);
    expect(root.lstat('/tmp')?.mode).toBe(0o1777);
    expect(root.readdir('/usr/lib')).toEqual(['hard', 'libz.so.1', 'libz.so.1.2', 'n'.repeat(150)]);
  });
});

describe('an archive that omits the headers of parent directories', () => {
  it('still has those directories, each listed once under its own parent', () => {
    const tree = join(tmp, 'no-parents');
    mkdirSync(join(tree, 'usr/lib/deep'), { recursive: true });
    writeFileSync(join(tree, 'usr/lib/deep/a'), 'a');
    writeFileSync(join(tree, 'usr/lib/b'), 'b');
    const p = join(tmp, 'no-parents.tar');
    execFileSync('tar', ['--no-recursion', '-cf', p, '-C', tree, 'usr/lib/deep/a', 'usr/lib/b']);
    const root = new Root(new TarBackend('no parents', p, indexTar(p)));
    expect(root.readdir('/')).toEqual(['usr']);
    expect(root.readdir('/usr')).toEqual(['lib']);
    expect([...root.readdir('/usr/lib')].sort()).toEqual(['b', 'deep']);
    expect(root.readdir('/usr/lib/deep')).toEqual(['a']);
    expect(root.lstat('/usr/lib/deep')?.type).toBe('dir');
    expect(root.readText('/usr/lib/deep/a', 10)).toBe('a');
  });
});
