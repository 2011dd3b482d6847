import { describe, expect, it } from 'vitest';
import { memberPath, octal } from '../../src/rootfs/tar.js';

/** The plain definitions the fast ones must agree with. */
const plainPath = (name: string) =>
  `/${name
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/')}`;
const plainOctal = (b: Buffer, at: number, len: number) => {
  const s = b
    .toString('latin1', at, at + len)
    .replace(/\0.*$/, '')
    .trim();
  const v = s ? Number.parseInt(s, 8) : 0;
  return Number.isNaN(v) ? 0 : v;
};

describe('tar header fields', () => {
  it('a member name normalizes as taking it apart on every slash would, for every mix of empty, ".", ".." and names', () => {
    const atoms = ['', '.', '..', 'a', '.x', 'x.', '...', 'é'];
    let names = ['', './', '/', './/'];
    let checked = 0;
    for (let depth = 0; depth < 3; depth++) {
      names = names.flatMap((n) => atoms.flatMap((a) => ['/', '//', ''].map((sep) => n + sep + a)));
      for (const n of names) expect(memberPath(n), JSON.stringify(n)).toBe(plainPath(n));
      checked += names.length;
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('a numeric field reads as its text up to the first NUL, trimmed, in octal; garbage is 0, a sign too', () => {
    const alphabet = '0178 \0\na';
    // Every field of up to 5 characters of the alphabet, at an offset in a larger header.
    for (let len = 1; len <= 5; len++) {
      for (let code = 0; code < alphabet.length ** len; code++) {
        let text = '';
        for (let c = code, i = 0; i < len; i++, c = Math.floor(c / alphabet.length)) text += alphabet[c % alphabet.length];
        const b = Buffer.concat([Buffer.from('xx'), Buffer.from(text, 'latin1'), Buffer.from('77')]);
        expect(octal(b, 2, len), JSON.stringify(text)).toBe(plainOctal(b, 2, len));
      }
    }
    expect(octal(Buffer.from('0000644\0'), 0, 8)).toBe(0o644);
    // A hostile header's negative size or mode is no number at all, not a negative one.
    expect(octal(Buffer.from('-0000644'), 0, 8)).toBe(0);
    expect(octal(Buffer.from(' +17'), 0, 4)).toBe(0);
    // GNU base-256: a size of 8 GiB, past what 11 octal digits hold.
    expect(octal(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0]), 0, 12)).toBe(8 * 2 ** 30);
  });
});
