import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLayeredRoot } from '../../src/engine/layered-root.js';
import type { Layer } from '../../src/image/layers.js';
import { buildImage, type ImageSettings } from '../../src/image/oci.js';
import { ociLayout, writeOciDir } from '../../src/image/write.js';
import type { Root } from '../../src/rootfs/root.js';
import type { TarEntry } from '../../src/rootfs/tar-write.js';

const settings: ImageSettings = {
  entrypoint: ['/bin/app'],
  cmd: null,
  user: '0:0',
  expose: [],
  env: [],
  workdir: null,
  stopSignal: null,
  volumes: [],
  labels: {},
  healthcheck: null,
  platform: 'linux/amd64',
};
const dir = (path: string, mode = 0o755): TarEntry => ({ type: 'dir', path, mode, uid: 0, gid: 0 });
const file = (path: string, text: string): TarEntry => ({ type: 'file', path, mode: 0o644, uid: 0, gid: 0, content: Buffer.from(text) });
const layer = (name: string, entries: TarEntry[]): Layer => ({ name, entries, packages: [] });

const LOWER = layer('lower', [
  dir('/etc'),
  file('/etc/a', 'a1'),
  file('/etc/gone', 'g'),
  dir('/opt'),
  file('/opt/old', 'o'),
  dir('/usr'),
  file('/usr/keep', 'k'),
]);
const UPPER = layer('upper', [
  dir('/etc', 0o750),
  file('/etc/a', 'a2'),
  file('/etc/.wh.gone', ''),
  dir('/opt'),
  file('/opt/.wh..wh..opq', ''),
  file('/opt/new', 'n'),
]);

function layout(layers: Layer[]): string {
  const d = join(mkdtempSync(join(tmpdir(), 'scratchify-layered-')), 'layout');
  writeOciDir(d, ociLayout([buildImage(layers, settings, 0)], 'v'), false);
  return `oci:${d}:v`;
}

/** Every path of a root with what is there. */
function listing(root: Root, at = '/', out: Record<string, string> = {}): Record<string, string> {
  for (const name of root.readdir(at)) {
    const p = at === '/' ? `/${name}` : `${at}/${name}`;
    const e = root.lstat(p)!;
    out[p] = e.type === 'dir' ? `dir ${(e.mode & 0o7777).toString(8)}` : (root.readText(p) ?? '');
    if (e.type === 'dir') listing(root, p, out);
  }
  return out;
}

describe('a base read from its layers, each kept in the cache by digest', () => {
  const saved = process.env.SCRATCHIFY_CACHE;
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'scratchify-layered-cache-'));
    process.env.SCRATCHIFY_CACHE = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SCRATCHIFY_CACHE;
    else process.env.SCRATCHIFY_CACHE = saved;
  });

  it('the layers merged from their own entries read as the engines apply them: replaced, whited out, opaque', async () => {
    const { root, image } = await openLayeredRoot(layout([LOWER, UPPER]), undefined);
    expect(listing(root)).toEqual({
      '/etc': 'dir 750',
      '/etc/a': 'a2',
      '/opt': 'dir 755',
      '/opt/new': 'n',
      '/usr': 'dir 755',
      '/usr/keep': 'k',
    });
    expect(image.config.entrypoint).toEqual(['/bin/app']);
    expect(image.platform).toBe('linux/amd64');
  });

  it('an image with one more layer on top reads only that layer: the lower layer entry is the one made before', async () => {
    await openLayeredRoot(layout([LOWER]), undefined);
    const before = readdirSync(join(cache, 'images')).filter((n) => n.startsWith('layer-'));
    expect(before).toHaveLength(1);
    const made = statSync(join(cache, 'images', before[0], 'store.bin')).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const { root } = await openLayeredRoot(layout([LOWER, UPPER]), undefined);
    const after = readdirSync(join(cache, 'images')).filter((n) => n.startsWith('layer-'));
    expect(after).toHaveLength(2);
    expect(after).toContain(before[0]);
    expect(root.readText('/etc/a')).toBe('a2');
    expect(statSync(join(cache, 'images', before[0], 'store.bin')).mtimeMs).toBe(made);
  });
});
