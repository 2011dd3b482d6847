import { cacheFlagOf } from '../elf/abi.js';
import type { ElfFile } from '../elf/file.js';

/** One library in /etc/ld.so.cache: the soname the loader looks up, the path it opens, and its tags. */
export interface CacheEntry {
  name: string;
  path: string;
  flags: number;
  /** The glibc-hwcaps subdirectory (e.g. `x86-64-v3`) for entries found there; undefined for baseline. */
  hwcapsDir?: string;
  /** Legacy hwcap bits (tls, platform subdirectories) for entries that have them. */
  legacyHwcap: bigint;
}

export class CacheFormatError extends Error {}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const NEW_HEADER = 48;
const NEW_ENTRY = 24;
const OLD_ENTRY = 12;
const EXTENSION_MAGIC = 0xeaa42174;
const TAG_GLIBC_HWCAPS = 1;
const HWCAP_EXTENSION = 1n << 62n;
const MAX_ENTRIES = 1 << 20;

/**
 * Parses ld.so.cache: the current `glibc-ld.so.cache1.1` format, the old `ld.so-1.7.0` format, or the old
 * format with the new one appended, as glibc 2.2 to 2.31 wrote it. The new table wins when present.
 */
export function parseLdCache(buf: Buffer): CacheEntry[] {
  if (buf.toString('latin1', 0, NEW_MAGIC.length) === NEW_MAGIC) return parseNew(buf, 0);
  if (buf.toString('latin1', 0, OLD_MAGIC.length) !== OLD_MAGIC) throw new CacheFormatError('no ld.so.cache magic');
  const nlibs = buf.readUInt32LE(12);
  if (nlibs > MAX_ENTRIES || 16 + nlibs * OLD_ENTRY > buf.length)
    throw new CacheFormatError(`old-format entry count ${nlibs} does not fit`);
  const strings = 16 + nlibs * OLD_ENTRY;
  // The new table follows the old one, aligned like struct cache_file_new (8 bytes).
  const newAt = (strings + 7) & ~7;
  if (buf.toString('latin1', newAt, newAt + NEW_MAGIC.length) === NEW_MAGIC) return parseNew(buf, newAt);
  const out: CacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const o = 16 + i * OLD_ENTRY;
    out.push({
      flags: buf.readInt32LE(o),
      name: cstr(buf, strings + buf.readUInt32LE(o + 4)),
      path: cstr(buf, strings + buf.readUInt32LE(o + 8)),
      legacyHwcap: 0n,
    });
  }
  return out;
}

function parseNew(buf: Buffer, base: number): CacheEntry[] {
  if (buf.length < base + NEW_HEADER) throw new CacheFormatError('truncated header');
  // Bits 0-1 of the flags byte record the writer's byte order: 2 little, 3 big; 0 means unrecorded (little here).
  const big = (buf[base + 28] & 3) === 3;
  const u32 = (o: number) => (big ? buf.readUInt32BE(o) : buf.readUInt32LE(o));
  const nlibs = u32(base + 20);
  if (nlibs > MAX_ENTRIES || base + NEW_HEADER + nlibs * NEW_ENTRY > buf.length) {
    throw new CacheFormatError(`entry count ${nlibs} does not fit in ${buf.length} bytes`);
  }
  const hwcapsNames = readHwcapsExtension(buf, base, u32(base + 32), u32);
  const out: CacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const o = base + NEW_HEADER + i * NEW_ENTRY;
    const hwcap = big ? buf.readBigUInt64BE(o + 16) : buf.readBigUInt64LE(o + 16);
    const ext = (hwcap & HWCAP_EXTENSION) !== 0n;
    out.push({
      flags: big ? buf.readInt32BE(o) : buf.readInt32LE(o),
      name: cstr(buf, base + u32(o + 4)),
      path: cstr(buf, base + u32(o + 8)),
      hwcapsDir: ext ? (hwcapsNames[Number(hwcap & 0xffffffffn)] ?? '?') : undefined,
      legacyHwcap: ext ? 0n : hwcap,
    });
  }
  return out;
}

function readHwcapsExtension(buf: Buffer, base: number, offset: number, u32: (o: number) => number): string[] {
  if (offset === 0 || base + offset + 8 > buf.length || u32(base + offset) !== EXTENSION_MAGIC) return [];
  const at = base + offset;
  const count = Math.min(u32(at + 4), 64);
  for (let i = 0; i < count; i++) {
    const s = at + 8 + i * 16;
    if (s + 16 > buf.length) break;
    if (u32(s) !== TAG_GLIBC_HWCAPS) continue;
    const off = base + u32(s + 8);
    const n = Math.min(Math.floor(u32(s + 12) / 4), 1024);
    const names: string[] = [];
    for (let j = 0; j < n && off + j * 4 + 4 <= buf.length; j++) names.push(cstr(buf, base + u32(off + j * 4)));
    return names;
  }
  return [];
}

function cstr(buf: Buffer, at: number): string {
  if (at >= buf.length) throw new CacheFormatError(`string offset ${at} past the end`);
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

// ldconfig's FLAG_* values (glibc elf/ldconfig.h): the low byte is the library kind, the next the ABI.
const FLAG_ELF_LIBC6 = 0x0003;

/**
 * The cache flags the needing object's loader accepts (_dl_cache_check_flags): a libc6 ELF entry for its ABI.
 * For ABIs not listed, any ELF entry passes here and the candidate's own header decides.
 */
export function acceptsCacheFlags(obj: ElfFile, flags: number): boolean {
  const abi = cacheFlagOf(obj);
  if (abi === undefined) return (flags & 0xff) === 1 || (flags & 0xff) === FLAG_ELF_LIBC6;
  return flags === (abi | FLAG_ELF_LIBC6) || (abi === 0 && flags === 1);
}
