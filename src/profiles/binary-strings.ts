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
