import { gunzipSync } from 'node:zlib';
import { ScratchifyError } from '../errors.js';
import type { TarIndex, TarMember } from '../rootfs/tar.js';
import { TarStream } from '../rootfs/tar-stream.js';
import { TRAILER, tarMember } from '../rootfs/tar-write.js';

/** A layer of an image: its digest, and its tar's bytes (compressed or not) when asked. */
export interface LayerBlob {
  digest: string;
  bytes(): Buffer;
}

/** A layer's tar past this size, once decompressed, is refused rather than held in memory. */
const MAX_LAYER_BYTES = 4 * 1024 ** 3 - 1;
/** Entries of an image, all layers together: a hostile image cannot make the applier's tree unbounded. */
const MAX_ENTRIES = 2_000_000;

/** A layer's tar: gzip is undone; zstd (which Node 20 cannot read) is named in the error. */
export function layerTar(layer: LayerBlob, ref: string): Buffer {
  const raw = layer.bytes();
  if (raw[0] === 0x28 && raw[1] === 0xb5 && raw[2] === 0x2f && raw[3] === 0xfd)
    throw new ScratchifyError('IMAGE_NOT_FOUND', `--base ${ref}: layer ${layer.digest} is zstd-compressed, which scratchify cannot read`, {
      hint: `convert it to gzip first, then give --base oci:scratchify-gzip:latest: skopeo copy --dest-compress-format gzip ${ref} oci:scratchify-gzip:latest`,
    });
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: MAX_LAYER_BYTES });
  } catch (e) {
    throw new ScratchifyError('IMAGE_NOT_FOUND', `--base ${ref}: layer ${layer.digest} does not decompress (${(e as Error).message})`, {
      hint: 'the image is damaged or too large: check it with skopeo inspect',
      cause: e,
    });
  }
}

function indexOf(tar: Buffer): TarIndex {
  const s = new TarStream({ member() {}, data() {}, end() {} });
  s.push(tar);
  return s.finish();
}

/** A node of the merged tree: the layer its entry comes from (none: a directory only implied), and its children. */
interface Node {
  layer?: number;
  children: Map<string, Node>;
}

const parts = (path: string) => path.split('/').filter(Boolean);
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const parent = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

function find(root: Node, path: string): Node | undefined {
  let n: Node | undefined = root;
  for (const p of parts(path)) n = n?.children.get(p);
  return n;
}

/**
 * Which layer gives each path of the image, applying layers bottom to top as the engines do (the OCI image spec's
 * changesets): an entry replaces what a lower layer had at its path (a file over a directory hides its contents);
 * `.wh.NAME` deletes NAME and all beneath it from the layers below; `.wh..wh..opq` in a directory hides everything
 * the layers below had in it. A layer's whiteouts apply before its own entries, whatever their order in its tar.
 */
export function mergeLayers(indexes: readonly TarIndex[], ref = 'the image'): Map<string, number> {
  const root: Node = { children: new Map() };
  let count = 0;
  indexes.forEach((index, layer) => {
    for (const path of Object.keys(index)) {
      // An engine refuses a layer that writes outside the root; so does scratchify, rather than read one.
      if (path.split('/').includes('..'))
        throw new ScratchifyError(
          'IMAGE_NOT_FOUND',
          `--base ${ref}: layer ${layer + 1} has a member ${path.slice(1)} that leads outside the root`,
          {
            hint: 'the image is damaged or hostile: rebuild it, or use another base',
          },
        );
      const name = base(path);
      if (!name.startsWith('.wh.')) continue;
      const dir = find(root, parent(path));
      if (name === '.wh..wh..opq') dir?.children.clear();
      else dir?.children.delete(name.slice(4));
    }
    for (const [path, m] of Object.entries(index)) {
      if (base(path).startsWith('.wh.')) continue;
      if (++count > MAX_ENTRIES)
        throw new ScratchifyError('IMAGE_NOT_FOUND', `the image has over ${MAX_ENTRIES} entries`, { hint: 'check the image' });
      let n = root;
      for (const p of parts(path)) n = n.children.get(p) ?? n.children.set(p, { children: new Map() }).get(p)!;
      n.layer = layer;
      if (m.type !== 'dir') n.children.clear();
    }
  });
  const out = new Map<string, number>();
  const walk = (n: Node, path: string) => {
    if (n.layer !== undefined) out.set(path || '/', n.layer);
    for (const [name, c] of n.children) walk(c, `${path}/${name}`);
  };
  walk(root, '');
  return out;
}

/** A member of a layer as scratchify's writer takes it; a hard link becomes a copy of what it links to in its layer. */
function entryOf(path: string, m: TarMember, tar: Buffer, index: TarIndex) {
  if (m.type === 'dir') return { type: 'dir' as const, path, mode: m.mode, uid: m.uid, gid: m.gid };
  if (m.type === 'symlink') return { type: 'symlink' as const, path, target: m.link ?? '' };
  const data = m.hardlink ? index[`/${(m.link ?? '').replace(/^\.?\/+/, '')}`] : m;
  if (m.type !== 'file' || !data || data.type !== 'file') return undefined; // devices and fifos: not read
  return {
    type: 'file' as const,
    path,
    mode: data.mode,
    uid: data.uid,
    gid: data.gid,
    content: tar.subarray(data.offset, data.offset + data.size),
  };
}

/**
 * The image's filesystem as one tar, as `docker export` gives it: each path once, from the layer that gives it,
 * handed to `emit` member by member. Two passes over the layers (one reads their indexes, one their bytes), one
 * layer in memory at a time.
 */
export function flattenLayers(layers: readonly LayerBlob[], ref: string, emit: (chunk: Buffer) => void): void {
  const indexes = layers.map((l) => indexOf(layerTar(l, ref)));
  const from = mergeLayers(indexes, ref);
  const byLayer = layers.map(() => [] as string[]);
  for (const [path, layer] of from) byLayer[layer].push(path);
  layers.forEach((l, i) => {
    if (!byLayer[i].length) return;
    const tar = layerTar(l, ref);
    for (const path of byLayer[i]) {
      const m = indexes[i][path];
      const e = m && entryOf(path, m, tar, indexes[i]);
      if (e && path !== '/') emit(tarMember(e));
    }
  });
  emit(TRAILER);
}
