import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import { CacheFormatError, parseLdCache } from '../../src/resolve/ldcache.js';
import { InputError } from '../../src/resolve/input-error.js';
import { Resolver } from '../../src/resolve/resolver.js';
import { FIXTURES } from '../helpers/paths.js';

const RUNS = Number(process.env.SCRATCHIFY_FUZZ_RUNS ?? 35_000);

describe('resolver fuzzing: hostile libraries and caches end in a result or a typed error', () => {
  it(`mutated ld.so.cache files (${RUNS} inputs)`, () => {
    const cache = readFileSync('/etc/ld.so.cache');
    fc.assert(
      fc.property(fc.nat(cache.length), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), (cut, flips) => {
        const b = Buffer.from(cache.subarray(0, cut));
        for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
        try {
          parseLdCache(b);
        } catch (e) {
          if (!(e instanceof CacheFormatError)) throw e;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a program whose library is replaced by mutated bytes (2,000 roots)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-fuzz-root-'));
    const app = join(dir, 'app');
    mkdirSync(app);
    cpSync(join(FIXTURES, 'rpath_is_inherited'), app, { recursive: true });
    const lib = readFileSync(join(app, 'lib/libfoo.so'));
    fc.assert(
      fc.property(fc.nat(lib.length), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 32 }), (cut, pokes) => {
        const b = Buffer.from(lib.subarray(0, cut));
        for (const [at, v] of pokes) if (b.length) b[at % b.length] = v;
        writeFileSync(join(app, 'lib/libfoo.so'), b);
        // A fresh Root and Resolver per input: nothing cached from the previous one.
        const resolver = new Resolver(new Root(new DirBackend(dir)));
        try {
          const map = resolver.loadProgram('/app/bin/prog');
          if (!map.objects.length) throw new Error('no objects');
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
