import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { cacheEntryDir, openImageRoot } from '../../src/engine/image-cache.js';
import type { ImageInfo } from '../../src/engine/image.js';
import { helloRoot } from '../helpers/roots.js';

/**
 * The image cache as a cold and a warm generate use it, engine-side replaced by a tar of a directory: the bytes
 * are a real archive, the index, the kept files and the reads are the cache's own. (test/e2e/cache.test.ts does
 * the same against a real engine's export.)
 */
function tarEngine(dir: string): Engine & { exports: number } {
  const tar = execFileSync('tar', ['-c', '--numeric-owner', '-C', dir, '.'], { maxBuffer: 64 << 20 });
  const e = {
    name: 'docker' as const,
    exports: 0,
    createIdle: async () => 'c1',
    removeContainer: async () => {},
    exportStream: async (_c: string, each: (chunk: Buffer) => void) => {
      e.exports++;
      for (let i = 0; i < tar.length; i += 65536) each(tar.subarray(i, i + 65536));
    },
    run: async () => {
      throw new Error('the cache should not run the engine');
    },
    exec: async () => {
      throw new Error('the cache should not run the engine');
    },
    argv: () => {
      throw new Error('the cache should not fetch: every file read here is kept');
    },
  };
  return e as unknown as Engine & { exports: number };
}

describe('the image cache', () => {
  const saved = process.env.SCRATCHIFY_CACHE;
  beforeAll(() => {
    process.env.SCRATCHIFY_CACHE = mkdtempSync(join(tmpdir(), 'scratchify-cache-unit-'));
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.SCRATCHIFY_CACHE;
    else process.env.SCRATCHIFY_CACHE = saved;
  });

  it('reads an image once: the second open reads only the index, and answers the same', async () => {
    const dir = helloRoot();
    writeFileSync(join(dir, 'etc/hostname.conf'), 'scratch\n');
    const engine = tarEngine(dir);
    const info = { ref: 'test/hello:1', id: `sha256:${'a'.repeat(64)}`, repoDigests: [], config: {} } as unknown as ImageInfo;
    const cold = await openImageRoot(engine, info);
    const warm = await openImageRoot(engine, info);
    expect(engine.exports).toBe(1);
    for (const root of [cold, warm]) {
      expect(root.description).toBe('image test/hello:1');
      expect(root.readElf('/app/hello').interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
      expect(root.readdir('/etc')).toContain('hostname.conf');
      expect(root.backend.cache).toBeDefined();
    }
    expect(cacheEntryDir(engine, info).startsWith(process.env.SCRATCHIFY_CACHE!)).toBe(true);
  });

  it('a damaged index is made again from a new export, not read', async () => {
    const dir = helloRoot();
    const engine = tarEngine(dir);
    const info = { ref: 'test/hello:2', id: `sha256:${'b'.repeat(64)}`, repoDigests: [], config: {} } as unknown as ImageInfo;
    await openImageRoot(engine, info);
    writeFileSync(join(cacheEntryDir(engine, info), 'sparse.json'), '{"not": "an index"');
    const again = await openImageRoot(engine, info);
    expect(engine.exports).toBe(2);
    expect(again.readElf('/app/hello').interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
  });
});
