import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../src/elf/source.js';
import { stringAfter } from '../../src/profiles/binary-probes.js';

/** A file of `size` bytes with `text` (NUL-terminated) at each of `at`. */
function file(size: number, at: Record<number, string>) {
  const b = Buffer.alloc(size, 0x90);
  for (const [offset, text] of Object.entries(at)) b.write(`${text}\0`, Number(offset), 'latin1');
  return bufferSource(b);
}

describe('a string after a marker in a program', () => {
  it('is found anywhere in the file without ranges, across the 1 MiB reads', () => {
    const src = file(3 << 20, { [(1 << 20) - 5]: 'configure arguments: --prefix=/usr' });
    expect(stringAfter(src, 'configure arguments:')).toBe(' --prefix=/usr');
    expect(stringAfter(file(4096, {}), 'configure arguments:')).toBeUndefined();
  });

  it('is searched only in the ranges given (read-only data, not code), up to their ends', () => {
    const src = file(2 << 20, { 100: 'configure arguments: in code', [1 << 20]: 'configure arguments: in data' });
    expect(stringAfter(src, 'configure arguments:', [{ offset: 4096, size: 2 << 20 }])).toBe(' in data');
    expect(stringAfter(src, 'configure arguments:', [{ offset: 0, size: 4096 }])).toBe(' in code');
    // A marker that starts inside a range and ends past it is not in the range.
    expect(stringAfter(src, 'configure arguments:', [{ offset: 0, size: 110 }])).toBeUndefined();
    expect(
      stringAfter(src, 'configure arguments:', [
        { offset: 4096, size: 1000 },
        { offset: (1 << 20) - 10, size: 100 },
      ]),
    ).toBe(' in data');
  });
});
