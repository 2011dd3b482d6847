import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { type TarEntry, writeTar } from '../rootfs/tar-write.js';
import { type BuiltImage, buildIndex, MEDIA } from './oci.js';
import type { LayeredImage } from './read-base.js';

/** A file of an image layout or archive: its path inside, and its bytes. */
export interface LayoutFile {
  path: string;
  data: Buffer;
}

const hex = (digest: string) => digest.slice('sha256:'.length);

/**
 * The OCI image layout (image-spec's image-layout.md): oci-layout, index.json naming the image by tag (one image's
 * manifest, or for several platforms the index of their manifests), and the blobs, each once.
 */
export function ociLayout(images: readonly BuiltImage[], tag: string): LayoutFile[] {
  const top = images.length === 1 ? images[0].manifest : buildIndex(images);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: top.mediaType,
        digest: top.digest,
        size: top.data.length,
        annotations: { 'org.opencontainers.image.ref.name': tag },
        ...(images.length === 1 ? { platform: images[0].platform } : {}),
      },
    ],
  };
  const blobs = [...(images.length === 1 ? [] : [top]), ...images.flatMap((i) => [i.config, i.manifest, ...i.layers])];
  const seen = new Set<string>();
  return [
    { path: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { path: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    ...blobs.filter((b) => !seen.has(b.digest) && seen.add(b.digest)).map((b) => ({ path: `blobs/sha256/${hex(b.digest)}`, data: b.data })),
  ];
}

/**
 * `docker save`'s format, which Docker 20.10's `docker load` and Podman read: manifest.json naming the config and
 * each layer's tar in order (a layer twice in the image is stored once), and the tag to give the image.
 */
function saveArchive(
  config: { digest: string; data: Buffer },
  layers: readonly { digest: string; data: () => Buffer }[],
  ref: string | undefined,
): Buffer {
  const layerPath = (digest: string) => `${hex(digest)}/layer.tar`;
  const manifest = [{ Config: `${hex(config.digest)}.json`, RepoTags: ref ? [ref] : null, Layers: layers.map((l) => layerPath(l.digest)) }];
  const files: LayoutFile[] = [
    { path: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
    { path: `${hex(config.digest)}.json`, data: config.data },
  ];
  const seen = new Set<string>();
  for (const l of layers) if (!seen.has(l.digest) && seen.add(l.digest)) files.push({ path: layerPath(l.digest), data: l.data() });
  return archive(files);
}

/** A written image as a docker-archive, its layers named by their diff IDs. */
export function dockerArchive(img: BuiltImage, ref: string | undefined): Buffer {
  return saveArchive(
    img.config,
    img.layers.map((l) => ({ digest: l.diffId, data: () => l.data })),
    ref,
  );
}

/** An image read from files or a registry, as a docker-archive an engine loads under `ref` (its layers as they are). */
export function dockerArchiveOf(img: LayeredImage, ref: string): Buffer {
  return saveArchive(
    { digest: img.id, data: img.configBytes },
    img.layers.map((l) => ({ digest: l.digest, data: () => l.bytes() })),
    ref,
  );
}

/** An OCI layout as one tar (skopeo's oci-archive). */
export function ociArchive(images: readonly BuiltImage[], tag: string): Buffer {
  return archive(ociLayout(images, tag));
}

/** Files as a deterministic tar, with the directories above them. */
function archive(files: readonly LayoutFile[]): Buffer {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = dirname(f.path); d !== '.' && !dirs.has(d); d = dirname(d)) {
      dirs.add(d);
      entries.push({ type: 'dir', path: d, mode: 0o755, uid: 0, gid: 0 });
    }
    entries.push({ type: 'file', path: f.path, mode: 0o644, uid: 0, gid: 0, content: f.data });
  }
  return writeTar(entries);
}

/**
 * Writes an OCI layout into `dir` through a temporary sibling renamed into place: a failure or Ctrl-C leaves no
 * half-written layout. A directory that holds anything is refused unless `force`, and then replaced whole.
 */
export function writeOciDir(dir: string, files: readonly LayoutFile[], force: boolean): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && (!st.isDirectory() || (readdirSync(dir).length > 0 && !force)))
    throw new ScratchifyError(
      'OUTPUT_FAILED',
      `--image oci:${dir}: ${st.isDirectory() ? 'the directory is not empty' : 'not a directory'}`,
      {
        hint: 'name a new or empty directory, or add --force to replace it',
      },
    );
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    for (const f of files) {
      mkdirSync(dirname(join(tmp, f.path)), { recursive: true });
      writeFileSync(join(tmp, f.path), f.data);
    }
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new ScratchifyError('OUTPUT_FAILED', `--image oci:${dir}: ${(e as Error).message}`, {
      hint: 'name a directory in a place you can write to',
      cause: e,
    });
  }
}
