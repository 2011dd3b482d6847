import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ElfFormatError } from '../../src/elf/errors.js';
import { parseElf, type ParseOptions } from '../../src/elf/file.js';
import { scanPathStrings } from '../../src/elf/path-strings.js';
import { probed, stringAfter } from '../../src/profiles/binary-probes.js';
import { FileSource } from '../../src/elf/source.js';
import { Root } from '../../src/rootfs/root.js';
import { type Fetcher, isSparseIndex, SparseBackend } from '../../src/rootfs/sparse.js';
import { SparseBuilder } from '../../src/rootfs/sparse-build.js';
import { indexTar } from '../../src/rootfs/tar.js';
import { TarStream } from '../../src/rootfs/tar-stream.js';
import { RUNTIME_IMPORTS } from '../../src/runtime/needs.js';

/** Host ELF files copied into the tree (read as data, never run). */
const HOST_ELVES = {
  '/usr/bin/ls': '/bin/ls',
  '/usr/lib/libc.so.6': '/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/ld-linux-x86-64.so.2': '/lib64/ld-linux-x86-64.so.2',
  '/usr/lib/libz.so.1': '/lib/x86_64-linux-gnu/libz.so.1',
};

/** A tree with ELF files, configuration, a large data file, a hard link and a truncated ELF file, and its cache. */
async function cached() {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-sparse-'));
  const tree = join(dir, 'tree');
  for (const d of ['usr/bin', 'usr/lib', 'etc', 'usr/share/data']) mkdirSync(join(tree, d), { recursive: true });
  for (const [to, from] of Object.entries(HOST_ELVES)) copyFileSync(realpathSync(from), join(tree, to));
  writeFileSync(join(tree, 'etc/nsswitch.conf'), 'passwd: files\n'.repeat(100));
  writeFileSync(join(tree, 'usr/share/data/big.bin'), createHash('sha512').update('x').digest().toString('hex').repeat(4000));
  for (let i = 0; i < 20; i++) writeFileSync(join(tree, `usr/share/data/d${i}.txt`), `data ${i}\n`.repeat(200));
  linkSync(join(tree, 'usr/bin/ls'), join(tree, 'usr/bin/dir'));
  writeFileSync(
    join(tree, 'usr/lib/broken.so'),
    Buffer.concat([readFileSync(realpathSync(HOST_ELVES['/usr/lib/libz.so.1'])).subarray(0, 64)]),
  );
  const archive = execFileSync('tar', ['--format=gnu', '-cf', '-', '-C', tree, '.'], { maxBuffer: 1 << 30 });

  const entry = join(dir, 'entry');
  mkdirSync(entry);
  const fd = openSync(join(entry, 'store.bin'), 'w');
  const builder = new SparseBuilder(fd, {
    parse: { versions: true, imports: RUNTIME_IMPORTS },
    keepWhole: (p) => p.startsWith('/etc/'),
    probes: { banner: (src) => stringAfter(src, LIBC_MARKER) },
  });
  const stream = new TarStream(builder);
  // Through one read buffer, overwritten after each push, as the engine's socket delivers an export: chunks of at
  // most 64 KiB that also end two bytes into every file, which cuts each ELF magic number in two.
  writeFileSync(join(dir, 'a.tar'), archive);
  const cuts = Object.values(indexTar(join(dir, 'a.tar')))
    .filter((m) => m.type === 'file' && m.size > 2)
    .map((m) => m.offset + 2);
  const reused = Buffer.alloc(65536);
  for (let at = 0; at < archive.length; ) {
    const n = Math.min(65536, archive.length - at, (cuts.find((c) => c > at) ?? Infinity) - at);
    archive.copy(reused, 0, at, at + n);
    stream.push(reused.subarray(0, n));
    reused.fill(0xa5);
    at += n;
  }
  // As the cache keeps it: written as JSON and read back.
  const index = JSON.parse(JSON.stringify(builder.result(stream.finish()))) as unknown;
  if (!isSparseIndex(index)) throw new Error('the index read back is not one');
  closeSync(fd);

  const calls = { one: [] as string[], many: [] as string[][] };
  const fetcher: Fetcher = {
    one: (p) => {
      calls.one.push(p);
      return readFileSync(join(tree, p));
    },
    many: (paths, each) => {
      calls.many.push(paths);
      for (const p of paths) each(p, readFileSync(join(tree, p)));
    },
    close: () => undefined,
  };
  const open = () => new Root(new SparseBackend('test tree', entry, index, fetcher));
  return { tree, entry, index, calls, open, fetcher, archiveBytes: archive.length, stored: builder.stored };
}

/** A marker glibc's libc.so.6 holds (its version banner), and the other objects do not. */
const LIBC_MARKER = 'GNU C Library ';

const OPTIONS: ParseOptions[] = [{}, { versions: false }, { versions: false, imports: RUNTIME_IMPORTS }, { imports: RUNTIME_IMPORTS }];

describe('the sparse image cache', async () => {
  const c = await cached();

  it('answers every ELF parse the readers make as the reader does on the whole file, without fetching', () => {
    const root = c.open();
    for (const path of Object.keys(HOST_ELVES)) {
      for (const options of OPTIONS) {
        const src = FileSource.open(join(c.tree, path));
        const expected = parseElf(src, path, options);
        src.close();
        expect(root.readElf(path, options), `${path} ${JSON.stringify(options)}`).toEqual(expected);
      }
      const src = FileSource.open(join(c.tree, path));
      expect(root.backend.cache?.pathStrings(path)).toEqual(scanPathStrings(src, parseElf(src, path)));
      src.close();
    }
    // A probe's result, from the facts: found in libc, known absent from ls.
    const banner = probed(root, '/usr/lib/libc.so.6', 'banner', () => 'read the file');
    expect(banner).toMatch(/^\(/);
    const src = FileSource.open(join(c.tree, 'usr/lib/libc.so.6'));
    expect(banner).toBe(stringAfter(src, LIBC_MARKER));
    src.close();
    expect(root.backend.cache?.probe('/usr/bin/ls', 'banner')).toBeNull();
    expect(probed(root, '/usr/bin/ls', 'banner', () => 'read the file')).toBeUndefined();
    expect(root.backend.cache?.probe('/usr/bin/ls', 'another')).toBeUndefined();
    // A hard link is answered for its target's facts.
    expect(root.readElf('/usr/bin/dir')).toEqual(root.readElf('/usr/bin/ls'));
    expect(c.calls.one).toEqual([]);
  });

  it('keeps a fraction of the bytes: heads, the loader and configuration whole', () => {
    expect(c.stored).toBeLessThan(c.archiveBytes / 10);
    const root = c.open();
    expect(root.readText('/etc/nsswitch.conf')).toBe(readFileSync(join(c.tree, 'etc/nsswitch.conf'), 'utf8'));
    expect(
      root.readBytes('/usr/lib/ld-linux-x86-64.so.2', 1 << 30)?.equals(readFileSync(join(c.tree, 'usr/lib/ld-linux-x86-64.so.2'))),
    ).toBe(true);
    expect(
      root.readHead('/usr/share/data/big.bin', 100)?.equals(readFileSync(join(c.tree, 'usr/share/data/big.bin')).subarray(0, 100)),
    ).toBe(true);
    expect(c.calls.one).toEqual([]);
  });

  it("learns many files' SHA-1 and SHA-256 in one pass and keeps them, not the files; a file kept whole is hashed from the cache", () => {
    const expected = (path: string) =>
      ['sha1', 'sha256'].map((a) =>
        createHash(a)
          .update(readFileSync(join(c.tree, path)))
          .digest('hex'),
      );
    const root = c.open();
    const paths = [
      '/usr/bin/ls',
      '/usr/bin/dir',
      '/usr/lib/libc.so.6',
      '/usr/lib/libz.so.1',
      ...Array.from({ length: 15 }, (_, i) => `/usr/share/data/d${i}.txt`),
    ];
    const [one, many] = [c.calls.one.length, c.calls.many.length];
    root.prepareDigests([...paths, '/etc/nsswitch.conf', '/usr/lib/ld-linux-x86-64.so.2']);
    // ls and dir are one file; the configuration and the loader are in the cache whole.
    const calls = c.calls.many.slice(many);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(paths.length - 1);
    expect(calls[0].filter((p) => p === '/usr/bin/ls' || p === '/usr/bin/dir')).toHaveLength(1);
    const again = c.open();
    for (const p of [...paths, '/etc/nsswitch.conf', '/usr/lib/ld-linux-x86-64.so.2'])
      expect(again.digests(p, ['sha1', 'sha256']), p).toEqual(expected(p));
    expect(c.calls.one.length).toBe(one);
    expect(readdirSync(c.entry)).not.toContain('fetched');
  });

  it('a parse that fails fails with the reader’s error, from the facts alone', () => {
    const root = c.open();
    let expected: unknown;
    try {
      parseElf(FileSource.open(join(c.tree, 'usr/lib/broken.so')), '/usr/lib/broken.so');
    } catch (e) {
      expected = e;
    }
    expect(expected).toBeInstanceOf(ElfFormatError);
    expect(() => root.readElf('/usr/lib/broken.so')).toThrow((expected as Error).message);
    expect(c.calls.one).toEqual([]);
  });

  it('fetches a file read beyond what was kept once, keeps it, and a second process reads the kept copy', () => {
    const before = c.calls.one.length;
    const bytes = readFileSync(join(c.tree, 'usr/share/data/big.bin'));
    expect(
      c
        .open()
        .readBytes('/usr/share/data/big.bin', 1 << 30)
        ?.equals(bytes),
    ).toBe(true);
    expect(
      c
        .open()
        .readBytes('/usr/share/data/big.bin', 1 << 30)
        ?.equals(bytes),
    ).toBe(true);
    expect(c.calls.one.slice(before)).toEqual(['/usr/share/data/big.bin']);
  });

  it('fetches many files in one pass and keeps them, so the next reader of the entry fetches none; refuses a fetched file whose size differs from the index', () => {
    const paths = Array.from({ length: 20 }, (_, i) => `/usr/share/data/d${i}.txt`);
    const root = c.open();
    const many = c.calls.many.length;
    const kept = readdirSync(join(c.entry, 'fetched')).length;
    root.backend.cache?.prefetch(paths);
    expect(c.calls.many.slice(many)).toEqual([paths]);
    const before = c.calls.one.length;
    for (const p of paths) expect(root.readText(p)).toBe(readFileSync(join(c.tree, p), 'utf8'));
    expect(c.calls.one.length).toBe(before);
    expect(readdirSync(join(c.entry, 'fetched'))).toHaveLength(kept + paths.length);
    // Another process on the same entry: nothing left to fetch.
    c.open().backend.cache?.prefetch(paths);
    expect(c.calls.many.length).toBe(many + 1);

    const fresh = mkdtempSync(join(tmpdir(), 'scratchify-sparse-'));
    copyFileSync(join(c.entry, 'store.bin'), join(fresh, 'store.bin'));
    const lying = new Root(new SparseBackend('test tree', fresh, c.index, { ...c.fetcher, one: () => Buffer.from('short') }));
    expect(() => lying.readText('/usr/share/data/d0.txt')).toThrow(/the engine gave 5 bytes, the image's index says 1400/);
  });

  it("a file's facts that no longer parse are a damaged cache, said in one line with the fix", () => {
    const f = c.index.facts;
    const [n, path] = [0, f.paths[0]];
    const text = `${f.text.slice(0, f.at[n])}!${f.text.slice(f.at[n] + 1)}`;
    const damaged = new Root(new SparseBackend('test tree', c.entry, { ...c.index, facts: { ...f, text } }, c.fetcher));
    expect(() => damaged.readElf(path)).toThrow(`${path}: what the cache of test tree kept of it is damaged`);
    expect(() => damaged.readElf(path)).toThrow(
      expect.objectContaining({ code: 'CACHE_DAMAGED', hint: 'run scratchify cache prune, then again' }),
    );
    expect(c.open().readElf(path).machine).toBeGreaterThan(0);
    // An index whose columns do not fit together is the same kind of damage, with the same fix.
    const members = { ...c.index.members, mode: c.index.members.mode.slice(1) };
    expect(() => new SparseBackend('test tree', c.entry, { ...c.index, members } as never, c.fetcher)).toThrow(
      expect.objectContaining({ code: 'CACHE_DAMAGED' }),
    );
  });

  it('keeps derived data with the entry: made once for every later process, made again when damaged or refused', () => {
    const isCount = (x: unknown): x is { count: number } => typeof (x as { count?: unknown })?.count === 'number';
    let made = 0;
    const make = () => ({ count: ++made });
    expect(c.open().backend.cache!.derived('test-1', make, isCount)).toEqual({ count: 1 });
    expect(c.open().backend.cache!.derived('test-1', make, isCount)).toEqual({ count: 1 });
    expect(made).toBe(1);
    expect(readdirSync(join(c.entry, 'derived'))).toEqual(['test-1.json']);
    writeFileSync(join(c.entry, 'derived', 'test-1.json'), '{"value": {"count": "one"}}');
    expect(c.open().backend.cache!.derived('test-1', make, isCount)).toEqual({ count: 2 });
    writeFileSync(join(c.entry, 'derived', 'test-1.json'), '{"val');
    expect(c.open().backend.cache!.derived('test-1', make, isCount)).toEqual({ count: 3 });
    expect(c.open().backend.cache!.derived('test-2', make, isCount)).toEqual({ count: 4 });
  });
});
