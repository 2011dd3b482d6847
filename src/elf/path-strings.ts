import type { ByteSource } from './source.js';
import type { ElfFile } from './types.js';

const CHUNK = 1 << 20;
/** The longest path string taken. */
const MAX_PATH = 255;
/** Chunks overlap by more than the longest string and the byte before it, so each is seen whole once. */
const OVERLAP = MAX_PATH + 2;
/** At most this much read-only data is read per object (libLLVM's is ~40 MiB; a hostile file says anything). */
const MAX_SCAN = 128 << 20;
const MAX_STRINGS = 20_000;
const SLASH = 0x2f;

/** The characters file names of installed files use: letters, digits, `_ . + @ , : = / -`. */
const NAME_CHAR = new Uint8Array(256);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+@,:=/-') NAME_CHAR[c.charCodeAt(0)] = 1;

/**
 * Adds the path strings of one buffer to `found`: each whole run of name characters with a slash in it that ends
 * at a NUL (a C string of its own, not the tail of one: a byte no name holds comes before it). Its absolute
 * paths are the run itself or its pieces between `:` and `=` (gawk's `.:/usr/share/awk`, `TZDIR=/usr/share/zoneinfo`).
 * A run touching the buffer's start (when `cutStart`) or its end is left to the neighbouring chunk.
 */
function scan(buf: Buffer, cutStart: boolean, found: Set<string>): void {
  for (let at = buf.indexOf(SLASH); at >= 0 && found.size < MAX_STRINGS; ) {
    let start = at;
    while (start > 0 && NAME_CHAR[buf[start - 1]]) start--;
    let end = at + 1;
    while (end < buf.length && NAME_CHAR[buf[end]]) end++;
    if (end < buf.length && buf[end] === 0 && end - start <= MAX_PATH && !(cutStart && start === 0)) {
      for (const part of buf.toString('latin1', start, end).split(/[:=]/)) {
        if (part.length < 4 || part[0] !== '/' || part[1] === '/') continue;
        found.add(part.replace(/\/+$/, ''));
      }
    }
    at = end < buf.length ? buf.indexOf(SLASH, end) : -1;
  }
}

/**
 * The absolute paths an ELF object names in its read-only data: what it opens, execs or lists by a name compiled
 * into it (a configuration file, a data directory, a helper), the way Nix finds a closure's references by
 * scanning for store paths. Format strings (`%s`), variables and globs never match. Bounded in bytes read and
 * strings kept.
 */
export function scanPathStrings(src: ByteSource, elf: Pick<ElfFile, 'constData'>): string[] {
  const found = new Set<string>();
  let budget = MAX_SCAN;
  for (const range of elf.constData ?? []) {
    const end = Math.min(range.offset + range.size, src.size);
    for (let pos = range.offset; pos < end && budget > 0 && found.size < MAX_STRINGS; pos += CHUNK - OVERLAP) {
      const buf = src.read(pos, Math.min(CHUNK, end - pos, budget));
      budget -= buf.length;
      scan(buf, pos > range.offset, found);
      if (buf.length < CHUNK) break;
    }
  }
  return [...found];
}
