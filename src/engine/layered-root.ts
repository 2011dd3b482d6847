import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformOfImage } from '../elf/platform.js';
import { ScratchifyError } from '../errors.js';
import { flattenLayers, type LayerBlob, layerTar } from '../image/apply.js';
import { mergeSparse } from '../image/sparse-merge.js';
import { readRegistry } from '../image/pull.js';
import { type LayeredImage, readDockerArchive, readOciArchive, readOciDir } from '../image/read-base.js';
import { parseImageTarget } from '../image/transport.js';
import { type Fetcher, SparseBackend, type SparseIndex } from '../rootfs/sparse.js';
import { Root } from '../rootfs/root.js';
import { fileCollector } from '../rootfs/tar-stream.js';
import { cacheDir } from './cache.js';
import { Leftovers } from './cleanup.js';
import { imageConfig, type ImageInfo } from './image.js';
import { cachedIndex, type Progress } from './image-cache.js';

/** Whether `--base` names an image by a transport (oci:, oci-archive:, docker-archive:, docker://), read without an engine. */
export function isTransport(base: string): boolean {
  return /^(oci|oci-archive|docker-archive):|^docker:\/\//.test(base);
}

/** Reads the image a transport (or, with `--engine none`, a registry reference) names. */
export async function readLayered(base: string, platform: string | undefined): Promise<LayeredImage> {
  if (!isTransport(base)) return readRegistry(base, platform, join(cacheDir(), 'blobs'));
  const t = parseImageTarget(base, '--base');
  switch (t.kind) {
    case 'oci':
      return readOciDir(t.path, t.tagged ? t.tag : undefined, platform);
    case 'oci-archive':
      return readOciArchive(t.path, t.tagged ? t.tag : undefined, platform);
    case 'docker-archive':
      return readDockerArchive(t.path, t.ref);
    case 'docker':
      return readRegistry(t.ref, platform, join(cacheDir(), 'blobs'));
    default:
      throw new ScratchifyError('USAGE', `--base ${base}: an engine's store is read through the engine`, {
        hint: `give --base ${t.kind === 'docker-daemon' ? t.ref : base} with --engine docker or podman`,
      });
  }
}

/**
 * The base read from its layers, without an engine: its files applied layer by layer (whiteouts as the engines
 * apply them) into the image cache, keyed by the image's ID (its config's digest) as an engine's export is.
 */
export async function openLayeredRoot(
  base: string,
  platform: string | undefined,
  progress?: Progress,
): Promise<{ root: Root; image: ImageInfo }> {
  const img = await readLayered(base, platform);
  // A registry's image is pinned by its manifest's digest; one read from files has no name to pin.
  const remote = base.startsWith('docker://') ? base.slice(9) : isTransport(base) ? undefined : base;
  const c = img.config;
  const image: ImageInfo = {
    ref: img.ref,
    id: img.id,
    repoDigests: img.manifestDigest && remote ? [`${remote.replace(/@.*$/, '').replace(/:[^/:]*$/, '')}@${img.manifestDigest}`] : [],
    architecture: c.architecture,
    platform: platformOfImage(c.os, c.architecture, c.variant),
    config: imageConfig({ Id: img.id, Config: (c.config ?? null) as never, Architecture: c.architecture, Os: c.os, Variant: c.variant }),
  };
  const flatten = (emit: (chunk: Buffer) => void) => flattenLayers(img.layers, img.ref, emit);
  const dir = join(cacheDir(), 'images', `layers-${img.id.replace(/^sha256:/, '')}`);
  const index = await cachedIndex(
    { dir, ref: img.ref, id: img.id, engine: 'none', verb: ['reading', 'read'], progress },
    {
      leftovers: new Leftovers(),
      async start() {},
      // Each layer is read once and kept by its digest; the image's entry is made from those entries.
      async stream() {},
      async end() {},
      failed: (e) => failedRead(img.ref, e),
    },
    async (tmp) => {
      const indexes: SparseIndex[] = [];
      const stores: Buffer[] = [];
      // Each layer's store is read as soon as its entry is there: pruning the cache for the next may remove it.
      for (const l of img.layers) {
        const entry = await layerEntry(img.ref, l, progress);
        indexes.push(entry.index);
        stores.push(readFileSync(join(entry.dir, 'store.bin')));
      }
      writeFileSync(tmp('store.bin'), Buffer.concat(stores));
      return mergeSparse(
        indexes,
        stores.map((b) => b.length),
        img.ref,
      );
    },
  );
  const root = new Root(new SparseBackend(`image ${img.ref}`, dir, index, layerFetcher(flatten)));
  return { root, image };
}

function failedRead(ref: string, e: unknown): ScratchifyError {
  return new ScratchifyError('IMAGE_NOT_FOUND', `--base ${ref}: its layers could not be read (${(e as Error).message})`, {
    hint: 'check the image (skopeo inspect reads it)',
    cause: e,
  });
}

/** A layer's own cache entry, keyed by its digest: made once, whatever image it is read for. */
async function layerEntry(ref: string, layer: LayerBlob, progress?: Progress): Promise<{ dir: string; index: SparseIndex }> {
  const dir = join(cacheDir(), 'images', `layer-${layer.digest.replace(/^sha\d+:/, '')}`);
  const index = await cachedIndex(
    { dir, ref: `${ref} layer ${layer.digest.slice(0, 19)}`, id: layer.digest, engine: 'none', verb: ['reading', 'read'], progress },
    {
      leftovers: new Leftovers(),
      async start() {},
      async stream(push) {
        push(layerTar(layer, ref));
      },
      async end() {},
      failed: (e) => failedRead(ref, e),
    },
  );
  return { dir, index };
}

/** Whole files of a layered image, when its cache kept only part of them: one pass over the layers for any number. */
function layerFetcher(flatten: (emit: (chunk: Buffer) => void) => void): Fetcher {
  const many = (paths: string[], each: (path: string, content: Buffer) => void) => {
    const s = fileCollector(paths, each);
    flatten((chunk) => s.push(chunk));
    s.finish();
  };
  return {
    one(path) {
      let out: Buffer = Buffer.alloc(0);
      many([path], (_, c) => {
        out = c;
      });
      return out;
    },
    many,
    close() {},
  };
}
