import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexTar, TarFormatError, type TarMember } from '../../src/rootfs/tar.js';
import { TarStream } from '../../src/rootfs/tar-stream.js';

/** An archive GNU tar makes of a tree with every kind of member and size around the block size. */
function archive(format: 'gnu' | 'pax'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-tar-stream-'));
  const t = join(dir, 'tree');
  const long = `deep/${'n'.repeat(120)}/${'m'.repeat(90)}`;
  mkdirSync(join(t, long), { recursive: true });
  for (const size of [0, 1, 511, 512, 513, 4096, 70_000]) {
    writeFileSync(join(t, `f${size}`), Buffer.alloc(size, size % 251));
  }
  writeFileSync(join(t, long, 'file-with-a-long-name.conf'), 'x'.repeat(1000));
  writeFileSync(join(t, 'caf\u00e9.txt'), 'non-ASCII name');
  linkSync(join(t, 'f513'), join(t, 'hard'));
  symlinkSync(`../${'l'.repeat(150)}`, join(t, 'link'));
  execFileSync('tar', [`--format=${format}`, '-cf', join(dir, 'a.tar'), '-C', t, '.']);
  return readFileSync(join(dir, 'a.tar'));
}

/**
 * Streams `bytes` in chunks of the given sizes (cycled) through one buffer overwritten after each push, as a socket's
 * reused read buffer is, and collects each member's bytes.
 */
function stream(bytes: Buffer, sizes: number[]) {
  const members: Record<string, TarMember> = {};
  const data: Record<string, Buffer[]> = {};
  let open: string | undefined;
  const s = new TarStream({
    member: (path, m) => {
      members[path] = m;
      open = path;
      data[path] = [];
    },
    data: (c) => data[open!].push(Buffer.from(c)),
    end: () => (open = undefined),
  });
  const reused = Buffer.alloc(Math.max(...sizes));
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], bytes.length - at);
    bytes.copy(reused, 0, at, at + n);
    s.push(reused.subarray(0, n));
    reused.fill(0xa5);
    at += n;
  }
  return { index: s.finish(), members, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.concat(v)])) };
}

describe('a tar stream read as it arrives', () => {
  for (const format of ['gnu', 'pax'] as const) {
    it(`${format}: the same members as the file indexer and each file's exact bytes, whatever the chunk sizes`, () => {
      const bytes = archive(format);
      const file = join(mkdtempSync(join(tmpdir(), 'scratchify-tar-stream-')), 'a.tar');
      writeFileSync(file, bytes);
      const expected = indexTar(file);
      for (const sizes of [[bytes.length], [1], [511, 513, 7], [100_000, 3]]) {
        const got = stream(bytes, sizes);
        const strip = (i: Record<string, TarMember>) => Object.fromEntries(Object.entries(i).map(([k, { offset, ...m }]) => [k, m]));
        expect(strip(got.index)).toEqual(strip(expected));
        for (const [path, m] of Object.entries(expected)) {
          if (m.type !== 'file' || m.hardlink || m.size === 0) continue;
          expect(got.data[path].equals(bytes.subarray(m.offset, m.offset + m.size)), path).toBe(true);
        }
      }
      expect(Object.keys(expected)).toContain(`/deep/${'n'.repeat(120)}/${'m'.repeat(90)}/file-with-a-long-name.conf`);
      // GNU tar stores whichever of the two names it meets second as the link.
      expect([expected['/hard'], expected['/f513']].filter((m) => m.hardlink).map((m) => m.link)).toHaveLength(1);
      expect(expected['/caf\u00e9.txt']?.size).toBe(14);
    });
  }

  it('a stream that stops inside a member is an error, not a shorter index', () => {
    const bytes = archive('gnu');
    expect(() => stream(bytes.subarray(0, 2048 + 100), [4096])).toThrow(TarFormatError);
  });
});
