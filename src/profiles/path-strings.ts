import type { ElfFile } from '../elf/file.js';
import type { Root } from '../rootfs/root.js';

const CHUNK = 1 << 20;
/** The longest path string taken; chunks overlap by this much so none is cut in two. */
const MAX_PATH = 255;
/** At most this much read-only data is read per object (libLLVM's is ~40 MiB; a hostile file says anything). */
const MAX_SCAN = 128 << 20;
const MAX_STRINGS = 20_000;

/**
 * A C string made of the characters file names of installed files use, from a byte no path holds (so `lib/x`
 * inside `/usr/lib/x` is not taken twice) to its NUL, with a slash in it. Format strings (`%s`), variables and
 * globs never match. Its absolute paths are what it holds itself, or between `:` and `=` (gawk's `.:/usr/share/awk`,
 * `TZDIR=/usr/share/zoneinfo`).
 */
const WORD = /(?<![\w.+@,:=/-])[\w.+@,:=/-]*\/[\w.+@,:=/-]*(?=\0)/g;

/**
 * The absolute paths an ELF object names in its read-only data: what it opens, execs or lists by a name compiled
 * into it (a configuration file, a data directory, a helper), the way Nix finds a closure's references by
 * scanning for store paths. Bounded in bytes read and strings kept.
 */
export function pathStrings(root: Root, real: string, elf: ElfFile): string[] {
  const found = new Set<string>();
  const src = root.backend.open(real);
  try {
    let budget = MAX_SCAN;
    for (const range of elf.constData ?? []) {
      const end = Math.min(range.offset + range.size, src.size);
      for (let pos = range.offset; pos < end && budget > 0; pos += CHUNK - MAX_PATH) {
        const buf = src.read(pos, Math.min(CHUNK, end - pos, budget));
        budget -= buf.length;
        for (const m of buf.toString('latin1').matchAll(WORD)) {
          if (m[0].length > MAX_PATH) continue;
          for (const part of m[0].split(/[:=]/)) {
            if (part.length < 4 || part[0] !== '/' || part[1] === '/') continue;
            found.add(part.replace(/\/+$/, ''));
          }
          if (found.size >= MAX_STRINGS) return [...found];
        }
        if (buf.length < CHUNK) break;
      }
    }
  } finally {
    src.close();
  }
  return [...found];
}
