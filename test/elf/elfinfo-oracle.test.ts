import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open as elfinfoOpen, type ELF, type ELFSection } from 'elfinfo';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/file.js';
import { FIXTURES } from '../helpers/paths.js';

/**
 * elfinfo, the design's ELF library, as an independent oracle: it is too slow for the resolver (0.45 s for
 * libc.so.6) but reads headers, segments and sections its own way. It does not decode the dynamic section, so
 * the test reads DT_* entries and version needs from the sections elfinfo located (offset, size, entsize and
 * the linked string table), and our reader must agree on every value.
 */
const BINARIES = [
  '/usr/bin/curl',
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/lib/x86_64-linux-gnu/libstdc++.so.6',
  '/usr/bin/python3',
  '/usr/bin/ls',
  join(FIXTURES, 'rpath_is_inherited/bin/prog'),
  join(FIXTURES, 'runpath_disables_ancestor_rpath/lib/libfoo.so'),
  join(FIXTURES, 'class32/bin/prog'),
  join(FIXTURES, 'musl/bin/prog'),
  join(FIXTURES, 'nodeflib_skips_cache_and_defaults/bin/prog'),
];

const DT = { NEEDED: 1, SONAME: 14, RPATH: 15, RUNPATH: 29 };
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;

interface OracleView {
  class: number;
  machine: number;
  type: number;
  osabi: number;
  interpreter?: string;
  needed: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  verneed: { file: string; versions: string[] }[];
}

function cstring(bytes: Buffer, at: number): string {
  const end = bytes.indexOf(0, at);
  return bytes.toString('latin1', at, end);
}

/** What elfinfo's tables say, decoded from the bytes at the places it names. */
function oracleView(elf: ELF, bytes: Buffer): OracleView {
  const wide = elf.bits === 64;
  const le = elf.data === 1;
  const word = (at: number, size: number) =>
    size === 8
      ? Number(le ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at))
      : size === 4
        ? le
          ? bytes.readUInt32LE(at)
          : bytes.readUInt32BE(at)
        : le
          ? bytes.readUInt16LE(at)
          : bytes.readUInt16BE(at);
  const interp = elf.segments.find((s) => s.type === 3);
  const view: OracleView = {
    class: wide ? 64 : 32,
    machine: elf.isa,
    type: elf.type,
    osabi: elf.abi,
    interpreter: interp ? cstring(bytes, interp.offset) : undefined,
    needed: [],
    verneed: [],
  };
  const section = (i: number) => elf.sections[i] as ELFSection;
  const dynamic = elf.sections.find((s) => s.type === SHT_DYNAMIC);
  if (dynamic) {
    const strtab = Number(section(dynamic.link).offset);
    const entsize = dynamic.entsize || (wide ? 16 : 8);
    for (let at = Number(dynamic.offset); at + entsize <= Number(dynamic.offset) + Number(dynamic.size); at += entsize) {
      const tag = word(at, wide ? 8 : 4);
      const val = word(at + (wide ? 8 : 4), wide ? 8 : 4);
      if (tag === 0) break;
      const str = () => cstring(bytes, strtab + val);
      if (tag === DT.NEEDED) view.needed.push(str());
      else if (tag === DT.SONAME) view.soname = str();
      else if (tag === DT.RPATH) view.rpath = str();
      else if (tag === DT.RUNPATH) view.runpath = str();
    }
  }
  const verneed = elf.sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (verneed) {
    const strtab = Number(section(verneed.link).offset);
    let at = Number(verneed.offset);
    for (let n = 0; n < verneed.info; n++) {
      const count = word(at + 2, 2);
      const entry = { file: cstring(bytes, strtab + word(at + 4, 4)), versions: [] as string[] };
      let aux = at + word(at + 8, 4);
      for (let k = 0; k < count; k++) {
        entry.versions.push(cstring(bytes, strtab + word(aux + 8, 4)));
        aux += word(aux + 12, 4);
      }
      view.verneed.push(entry);
      at += word(at + 12, 4);
    }
  }
  return view;
}

describe('the ELF reader agrees with elfinfo on real binaries', () => {
  for (const path of BINARIES) {
    it(path.replace(FIXTURES, 'fixtures'), async () => {
      const result = await elfinfoOpen(path);
      expect(result.success, result.errors.join('; ')).toBe(true);
      const theirs = oracleView(result.elf!, readFileSync(path));
      const ours = readElf(path);
      expect({
        class: ours.class,
        machine: ours.machine,
        type: ours.type,
        osabi: ours.osabi,
        interpreter: ours.interpreter,
        needed: ours.needed,
        soname: ours.soname,
        rpath: ours.rpath,
        runpath: ours.runpath,
        verneed: (ours.verneed ?? []).map((v) => ({ file: v.file, versions: v.versions })),
      }).toEqual(theirs);
      // The oracle must have seen something, or agreeing proves nothing.
      expect(theirs.needed.length + (theirs.soname ? 1 : 0)).toBeGreaterThan(0);
    });
  }
});
