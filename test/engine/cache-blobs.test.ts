import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneCache } from '../../src/engine/cache.js';

describe('layers read from registries, under the cache bound', () => {
  const saved = process.env.SCRATCHIFY_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.SCRATCHIFY_CACHE;
    else process.env.SCRATCHIFY_CACHE = saved;
  });

  it('the least recently used blobs go first until the rest fit; a partial download of a process that is gone goes too', () => {
    const cache = mkdtempSync(join(tmpdir(), 'scratchify-blobs-'));
    process.env.SCRATCHIFY_CACHE = cache;
    const blobs = join(cache, 'blobs');
    mkdirSync(blobs);
    const at = (name: string, bytes: number, secondsAgo: number) => {
      writeFileSync(join(blobs, name), Buffer.alloc(bytes));
      const t = new Date(Date.now() - secondsAgo * 1000);
      utimesSync(join(blobs, name), t, t);
    };
    at('old', 600, 300);
    at('recent', 600, 10);
    at('newest', 300, 1);
    // A pid no process has: what a download killed outright left.
    at('half.4194303.tmp', 100, 5);
    pruneCache(1000);
    expect(['newest', 'recent', 'old', 'half.4194303.tmp'].map((n) => existsSync(join(blobs, n)))).toEqual([true, true, false, false]);
  });
});
