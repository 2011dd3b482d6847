import { describe, expect, it } from 'vitest';
import { scanPathStrings } from '../../src/elf/path-strings.js';
import { bufferSource } from '../helpers/byte-source.js';

const MIB = 1 << 20;

/** Read-only data of `size` bytes, zeros but for `strings` written at their offsets. */
function data(size: number, strings: [number, string][]): Buffer {
  const b = Buffer.alloc(size);
  for (const [at, s] of strings) b.write(s, at, 'latin1');
  return b;
}

describe('path strings of read-only data', () => {
  it('takes whole C strings with a slash, their pieces between : and =, never a tail or a format', () => {
    const b = data(4096, [
      [16, '/etc/app.conf\0'],
      [64, 'TZDIR=/usr/share/zoneinfo\0'],
      [128, '.:/usr/share/awk\0'],
      [192, 'x%s/usr/lib/fmt\0'], // a format: the run starts after %, so it is not a path of its own
      [256, '/usr/share/app/\0'],
      [320, '//double\0'],
      [384, '/etc/not-terminated!'],
      [448, 'rel/ative\0'],
    ]);
    expect(scanPathStrings(bufferSource(b), { constData: [{ offset: 0, size: b.length }] }).sort()).toEqual([
      '/etc/app.conf',
      '/usr/share/app',
      '/usr/share/awk',
      '/usr/share/zoneinfo',
    ]);
  });

  it('a string across a chunk boundary is found once, whole, and no piece of it alone', () => {
    const s = '/usr/lib/straddling/the/boundary.conf';
    // The second chunk starts 257 bytes before 1 MiB, exactly at the second slash of /etc/abc/def.
    const b = data(3 * MIB, [
      [MIB - 10, `${s}\0`],
      [MIB - 261, '/etc/abc/def\0'],
    ]);
    const found = scanPathStrings(bufferSource(b), { constData: [{ offset: 0, size: b.length }] });
    expect(found.sort()).toEqual(['/etc/abc/def', s]);
  });

  it('reads only the ranges given, and within the file', () => {
    const b = data(8192, [
      [100, '/outside/range\0'],
      [5000, '/inside/range\0'],
    ]);
    expect(scanPathStrings(bufferSource(b), { constData: [{ offset: 4096, size: 1 << 30 }] })).toEqual(['/inside/range']);
  });
});
