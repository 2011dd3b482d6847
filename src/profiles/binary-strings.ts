import type { Root } from '../rootfs/root.js';

const CHUNK = 1 << 20;
/** A marker string is searched in at most this much of a binary; nginx's sits well within it. */
const MAX_SCAN = 256 << 20;

/** Finds `marker` in a file and returns the NUL-terminated string that follows it (at most 64 KiB). */
export function stringAfter(root: Root, real: string, marker: string): string | undefined {
  const src = root.backend.open(real);
  try {
    const needle = Buffer.from(marker, 'latin1');
    const limit = Math.min(src.size, MAX_SCAN);
    for (let pos = 0; pos < limit; pos += CHUNK - needle.length) {
      const buf = src.read(pos, CHUNK);
      const at = buf.indexOf(needle);
      if (at >= 0) {
        const tail = src.read(pos + at + needle.length, 64 << 10);
        const end = tail.indexOf(0);
        return tail.toString('latin1', 0, end < 0 ? tail.length : end);
      }
      if (buf.length < CHUNK) break;
    }
    return undefined;
  } finally {
    src.close();
  }
}

/** Which of `needles` occur anywhere in a file, in one chunked pass (chunks overlap by the longest needle). */
export function containsStrings(root: Root, real: string, needles: string[]): Set<string> {
  const found = new Set<string>();
  const bufs = needles.map((n) => Buffer.from(n, 'latin1'));
  const overlap = Math.max(...bufs.map((b) => b.length));
  const src = root.backend.open(real);
  try {
    const limit = Math.min(src.size, MAX_SCAN);
    for (let pos = 0; pos < limit && found.size < needles.length; pos += CHUNK - overlap) {
      const buf = src.read(pos, CHUNK);
      bufs.forEach((b, i) => {
        if (!found.has(needles[i]) && buf.indexOf(b) >= 0) found.add(needles[i]);
      });
      if (buf.length < CHUNK) break;
    }
    return found;
  } finally {
    src.close();
  }
}
