import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ElfFormatError, NotElfError } from '../../src/elf/errors.js';
import { parseElf, readElf } from '../../src/elf/file.js';
import { bufferSource } from '../helpers/byte-source.js';
import { buildElf } from '../helpers/elf-builder.js';
import { FIXTURES } from '../helpers/paths.js';

/** binutils' readelf is the independent reader: its view of the dynamic section. */
function readelfDynamic(path: string) {
  const out = execFileSync('readelf', ['-dW', path], { encoding: 'utf8' });
  const grab = (tag: string) => [...out.matchAll(new RegExp(`\\(${tag}\\)\\s+\\S+[^\\[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1]);
  return { needed: grab('NEEDED'), soname: grab('SONAME')[0], rpath: grab('RPATH')[0], runpath: grab('RUNPATH')[0] };
}

const tmp = mkdtempSync(join(tmpdir(), 'scratchify-elf-'));

describe('ELF reader against readelf', () => {
  const files = [
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/bin/ls',
    join(FIXTURES, 'rpath_is_inherited/bin/prog'),
    join(FIXTURES, 'runpath_is_not_inherited/bin/prog'),
    join(FIXTURES, 'origin_is_the_opened_path/real/libfoo.so'),
    join(FIXTURES, 'class32/bin/prog'),
    join(FIXTURES, 'musl/bin/prog'),
  ];
  for (const f of files) {
    it(f.replace(FIXTURES, 'fixtures'), () => {
      const ours = readElf(f);
      const theirs = readelfDynamic(f);
      expect(ours.needed).toEqual(theirs.needed);
      expect(ours.soname).toEqual(theirs.soname);
      expect(ours.rpath).toEqual(theirs.rpath);
      expect(ours.runpath).toEqual(theirs.runpath);
    });
  }

  it('reads version needs and definitions (libc defines GLIBC_2.34; ls needs GLIBC_2.x from libc.so.6)', () => {
    const libc = readElf('/lib/x86_64-linux-gnu/libc.so.6');
    expect(libc.verdef).toContain('GLIBC_2.34');
    expect(libc.verdef).toContain('GLIBC_2.2.5');
    const ls = readElf('/bin/ls');
    const fromLibc = ls.verneed?.find((v) => v.file === 'libc.so.6');
    expect(fromLibc?.versions.length).toBeGreaterThan(0);
    const readelfV = execFileSync('readelf', ['-VW', '/bin/ls'], { encoding: 'utf8' });
    for (const v of fromLibc!.versions) expect(readelfV).toContain(`Name: ${v}`);
  });

  it('a 32-bit program: class, machine and interpreter', () => {
    const e = readElf(join(FIXTURES, 'class32/bin/prog'));
    expect([e.class, e.machine, e.interpreter]).toEqual([32, 3, '/lib/ld-linux.so.2']);
  });

  it('needs no section headers (they were zeroed)', () => {
    const stripped = readElf(join(FIXTURES, 'no_section_headers/prog'));
    const orig = readElf(join(FIXTURES, 'rpath_is_inherited/bin/prog'));
    expect(stripped.needed).toEqual(orig.needed);
    expect(stripped.rpath).toEqual(orig.rpath);
    expect(stripped.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
  });

  it('a static binary has no interpreter and is not dynamic', () => {
    const e = readElf(join(FIXTURES, 'musl/bin/static'));
    expect(e.interpreter).toBeUndefined();
    expect(e.dynamic).toBe(false);
  });
});

describe('crafted headers, both classes and byte orders', () => {
  for (const cls of [32, 64] as const) {
    for (const data of ['LSB', 'MSB'] as const) {
      it(`ELFCLASS${cls} ${data}`, () => {
        const b = buildElf({
          class: cls,
          data,
          machine: 22,
          interpreter: '/lib/ld64.so.1',
          needed: ['libc.so.6', 'libm.so.6'],
          soname: 'libx.so.1',
          runpath: '$ORIGIN/../lib',
          flags1: 0x800,
        });
        const e = parseElf(bufferSource(b), 'crafted');
        expect(e).toMatchObject({
          class: cls,
          data,
          machine: 22,
          interpreter: '/lib/ld64.so.1',
          needed: ['libc.so.6', 'libm.so.6'],
          soname: 'libx.so.1',
          runpath: '$ORIGIN/../lib',
          flags1: 0x800,
        });
      });
    }
  }
});

describe('bad input gives the one typed error, naming the file and offset', () => {
  const libc = readFileSync('/lib/x86_64-linux-gnu/libc.so.6');
  for (const cut of [3, 10, 40, 63, 100, 200]) {
    it(`libc.so.6 truncated to ${cut} bytes`, () => {
      const p = join(tmp, `trunc-${cut}`);
      writeFileSync(p, libc.subarray(0, cut));
      expect(() => readElf(p)).toThrow(cut < 4 ? NotElfError : ElfFormatError);
      try {
        readElf(p);
      } catch (e) {
        expect((e as ElfFormatError).file).toBe(p);
        if (cut >= 4) expect((e as ElfFormatError).message).toMatch(/truncated/);
      }
    });
  }

  it('a crafted file whose dynamic segment lies past its end', () => {
    const b = buildElf({ needed: ['libc.so.6'] });
    expect(() => parseElf(bufferSource(b.subarray(0, b.length - 20)), 'cut')).toThrow(/truncated: the dynamic segment/);
  });

  it('a DT_NEEDED string index past DT_STRSZ', () => {
    const b = buildElf({ needed: ['libc.so.6'] });
    // The first dynamic entry is DT_NEEDED; point its value far outside the string table.
    const dynOff = Number(b.readBigUInt64LE(64 + 56 + 8));
    b.writeBigUInt64LE(0xfffffn, dynOff + 8);
    expect(() => parseElf(bufferSource(b), 'bad')).toThrow(/DT_NEEDED string index 1048575 is outside DT_STRTAB/);
  });

  it('a text file and a script', () => {
    const txt = join(tmp, 'notes.txt');
    writeFileSync(txt, 'hello');
    expect(() => readElf(txt)).toThrow(NotElfError);
    const sh = join(tmp, 'run.sh');
    writeFileSync(sh, '#!/bin/sh -e\necho hi\n');
    try {
      readElf(sh);
      expect.unreachable();
    } catch (e) {
      expect((e as NotElfError).shebang).toBe('/bin/sh');
    }
  });
});

describe('large files are read by their headers only', () => {
  it('/usr/bin/node (about 100 MB): a few KiB read', async () => {
    const { Root } = await import('../../src/rootfs/root.js');
    const { DirBackend } = await import('../../src/rootfs/dir.js');
    const { statSync } = await import('node:fs');
    const root = new Root(new DirBackend('/'));
    const e = root.readElf(root.resolve(process.execPath).path);
    expect(e.needed.length).toBeGreaterThan(0);
    expect(statSync(process.execPath).size).toBeGreaterThan(10 << 20);
    expect(root.bytesRead).toBeLessThan(64 << 10);
  });
});

describe('imported symbols, against readelf --dyn-syms', () => {
  const wanted = new Set(['pthread_cancel', 'pthread_exit', 'iconv_open', 'printf', 'puts', 'getpwnam', 'malloc', '__libc_start_main']);
  for (const f of ['/bin/ls', join(FIXTURES, 'hello/hello'), join(FIXTURES, 'class32/bin/prog'), '/lib/x86_64-linux-gnu/libstdc++.so.6']) {
    it(f.replace(FIXTURES, 'fixtures'), async () => {
      const { FileSource } = await import('../../src/elf/source.js');
      const src = FileSource.open(f);
      const ours = parseElf(src, f, { imports: wanted }).imports ?? [];
      src.close();
      const out = execFileSync('readelf', ['--dyn-syms', '-W', f], { encoding: 'utf8' });
      const undef = out
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((c) => c[6] === 'UND' && c[7])
        .map((c) => c[7].replace(/@.*/, ''));
      expect([...new Set(ours)].sort()).toEqual([...new Set(undef.filter((n) => wanted.has(n)))].sort());
      expect(ours.length).toBeGreaterThan(0);
    });
  }
});
