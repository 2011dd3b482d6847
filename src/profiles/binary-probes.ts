import type { ElfFile } from '../elf/file.js';
import type { ByteSource } from '../elf/source.js';
import type { Root } from '../rootfs/root.js';

const CHUNK = 1 << 20;
/** A marker string is searched in at most this much of a binary. */
const MAX_SCAN = 256 << 20;
/** The string after a marker is at most this long. */
const MAX_STRING = 64 << 10;

/**
 * What a profile learns from an ELF file's bytes beyond the reader's result (nginx's configure arguments, a Go
 * binary's build info), as data that survives JSON. An image's cache runs every probe on every ELF file while its
 * export streams by, so that a reader later asks for the result, not for the file.
 */
export type ElfProbe = (src: ByteSource, elf?: ElfFile) => unknown;

/** A probe's result for the ELF file at the real path `real`: the backend's when it knows, else from its bytes. */
export function probed<T>(root: Root, real: string, name: string, probe: (src: ByteSource, elf?: ElfFile) => T | undefined): T | undefined {
  const known = root.backend.cache?.probe(real, name);
  if (known !== undefined) return (known ?? undefined) as T | undefined;
  let elf: ElfFile | undefined;
  try {
    elf = root.readElf(real, { versions: false });
  } catch {
    // Not ELF (a test's stand-in, a script): a probe that needs the structure finds nothing.
  }
  const src = root.backend.open(real);
  try {
    return probe(src, elf);
  } finally {
    src.close();
  }
}

/**
 * The NUL-terminated string that follows the first `marker` in a file's first 256 MiB (at most 64 KiB of it),
 * searched in `ranges` only when given (an ELF file's read-only data, where a compiled-in string sits).
 */
export function stringAfter(src: ByteSource, marker: string, ranges?: readonly { offset: number; size: number }[]): string | undefined {
  const needle = Buffer.from(marker, 'latin1');
  for (const range of ranges ?? [{ offset: 0, size: src.size }]) {
    const limit = Math.min(range.offset + range.size, src.size, MAX_SCAN);
    for (let pos = range.offset; pos < limit; pos += CHUNK - needle.length) {
      const buf = src.read(pos, Math.min(CHUNK, limit - pos));
      const at = buf.indexOf(needle);
      if (at >= 0) {
        const tail = src.read(pos + at + needle.length, MAX_STRING);
        const end = tail.indexOf(0);
        return tail.toString('latin1', 0, end < 0 ? tail.length : end);
      }
      if (buf.length < CHUNK) break;
    }
  }
  return undefined;
}

/** Which of `needles` occur anywhere in a file, in one chunked pass (chunks overlap by the longest needle). */
export function containsStrings(src: ByteSource, needles: string[]): Set<string> {
  const found = new Set<string>();
  const bufs = needles.map((n) => Buffer.from(n, 'latin1'));
  const overlap = Math.max(...bufs.map((b) => b.length));
  const limit = Math.min(src.size, MAX_SCAN);
  for (let pos = 0; pos < limit && found.size < needles.length; pos += CHUNK - overlap) {
    const buf = src.read(pos, CHUNK);
    bufs.forEach((b, i) => {
      if (!found.has(needles[i]) && buf.indexOf(b) >= 0) found.add(needles[i]);
    });
    if (buf.length < CHUNK) break;
  }
  return found;
}
