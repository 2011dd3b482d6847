import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemberTable } from '../../src/rootfs/member-table.js';
import { indexTar } from '../../src/rootfs/tar.js';

/** An index GNU tar made, of files, links, a hard link and a member kept in part, as the cache's builder marks one. */
function realIndex() {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-members-'));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'usr/lib'), { recursive: true });
  writeFileSync(join(tree, 'usr/lib/libz.so.1.3'), 'x'.repeat(3000));
  symlinkSync('libz.so.1.3', join(tree, 'usr/lib/libz.so.1'));
  symlinkSync('usr/lib', join(tree, 'lib'));
  linkSync(join(tree, 'usr/lib/libz.so.1.3'), join(tree, 'usr/lib/hard'));
  writeFileSync(join(tree, 'usr/lib/empty'), '');
  const tar = join(dir, 't.tar');
  execFileSync('tar', ['-cf', tar, '-C', tree, '.']);
  const index = indexTar(tar);
  index['/usr/lib/libz.so.1.3'].keep = [0, 512, 1024, 2048, 100, 4096];
  return index;
}

describe('members as columns', () => {
  it('reads back every member of a real archive as it was, through JSON', () => {
    const index = realIndex();
    const cols = JSON.parse(JSON.stringify(MemberTable.columnsOf(index)));
    expect(MemberTable.columnsFit(cols)).toBe(true);
    const table = MemberTable.fromColumns(cols)!;
    for (const [path, member] of Object.entries(index)) expect(table.get(path), path).toEqual(member);
    expect(table.get('/usr/lib/hard')).toMatchObject({ hardlink: true, link: '/usr/lib/libz.so.1.3' });
    expect(table.get('/nowhere')).toBeUndefined();
    expect([...(table.children('/usr/lib') ?? [])].sort()).toEqual(['empty', 'hard', 'libz.so.1', 'libz.so.1.3']);
    expect(table.children('/usr/lib/empty')).toBeUndefined();
  });

  it('adds the directories an archive names no header for, listed in their parents', () => {
    const table = MemberTable.fromIndex({ '/a/b/c': { type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, offset: 512 } });
    expect(table.get('/a')).toMatchObject({ type: 'dir', mode: 0o755 });
    expect(table.get('/a/b')).toMatchObject({ type: 'dir' });
    expect(table.children('/')).toEqual(['a']);
    expect(table.children('/a')).toEqual(['b']);
    const back = MemberTable.fromColumns(MemberTable.columnsOf({ '/a/b/c': table.get('/a/b/c')! }))!;
    expect(back.get('/a/b')).toMatchObject({ type: 'dir' });
  });

  it('refuses columns that do not fit together (a damaged cache is made again)', () => {
    const good = MemberTable.columnsOf(realIndex());
    const damaged = [
      { ...good, mode: good.mode.slice(1) },
      { ...good, types: good.types.slice(1) },
      { ...good, keepAt: good.keepAt.slice(1) },
      { ...good, keep: good.keep.slice(1) },
      { ...good, links: null },
      { ...good, paths: 'x' },
      null,
    ];
    for (const d of damaged) expect(MemberTable.columnsFit(d as never)).toBe(false);
    expect(MemberTable.columnsFit(good)).toBe(true);
  });
});
