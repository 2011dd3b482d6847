import type { ByteSource } from '../../src/elf/source.js';

/** A ByteSource over an in-memory buffer that also records the largest read asked of it. */
export function bufferSource(b: Buffer): ByteSource & { largest: number } {
  const s = {
    size: b.length,
    bytesRead: 0,
    largest: 0,
    read(pos: number, len: number) {
      s.largest = Math.max(s.largest, len);
      return b.subarray(pos, Math.min(b.length, pos + len));
    },
    readInto(target: Buffer, pos: number) {
      s.largest = Math.max(s.largest, target.length);
      return b.copy(target, 0, Math.min(pos, b.length), Math.min(b.length, pos + target.length));
    },
    close() {},
  };
  return s;
}
