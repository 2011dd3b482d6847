import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CacheFormatError, parseLdCache } from '../../src/resolve/ldcache.js';

describe('ld.so.cache against ldconfig -p', () => {
  it("this machine's cache: the same name => path pairs", () => {
    const ours = parseLdCache(readFileSync('/etc/ld.so.cache'));
    const out = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
    const theirs = out
      .split('\n')
      .slice(1)
      .map((l) => /^\s+(\S+) \(([^)]*)\) => (\S+)$/.exec(l))
      .filter((m) => m !== null);
    expect(theirs.length).toBeGreaterThan(50);
    expect(ours.map((e) => `${e.name} ${e.path}`).sort()).toEqual(theirs.map((m) => `${m![1]} ${m![3]}`).sort());
    // The ABI tag: x86-64 entries are FLAG_X8664_LIB64 | FLAG_ELF_LIBC6, i386 (lib32) ones plain libc6.
    const x64 = ours.filter((e) => e.flags === 0x0303).length;
    expect(x64).toBe(theirs.filter((m) => m![2].includes('x86-64')).length);
  });

  it('refuses what is not a cache', () => {
    expect(() => parseLdCache(Buffer.from('hello world, not a cache'))).toThrow(CacheFormatError);
    const truncated = readFileSync('/etc/ld.so.cache').subarray(0, 100);
    expect(() => parseLdCache(truncated)).toThrow(/does not fit/);
  });
});
