import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { platformOfImage } from '../elf/platform.js';
import { ScratchifyError } from '../errors.js';
import { indexTar, type TarIndex } from '../rootfs/tar.js';
import type { LayerBlob } from './apply.js';

/** An image read from files, not from an engine: its config, its layers bottom first, and where it came from. */
export interface LayeredImage {
  ref: string;
  /** The config's digest: the image ID an engine would give it. */
  id: string;
  /** The config as the image spec writes it (`architecture`, `os`, `config.Env`...), and its bytes. */
  config: OciConfig;
  configBytes: Buffer;
  layers: LayerBlob[];
  /** The manifest's digest, when the image came from a registry: what a Dockerfile pins. */
  manifestDigest?: string;
}

export interface OciConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: Record<string, unknown> | null;
  rootfs?: { diff_ids?: string[] };
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

const MAX_JSON = 4 << 20;
const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

function bad(ref: string, why: string, hint = 'check the path and the image in it (skopeo inspect can read it)'): ScratchifyError {
  return new ScratchifyError('IMAGE_NOT_FOUND', `--base ${ref}: ${why}`, { hint });
}

function json<T>(ref: string, what: string, data: Buffer | undefined): T {
  if (!data) throw bad(ref, `${what} is missing`);
  if (data.length > MAX_JSON) throw bad(ref, `${what} is over 4 MiB`);
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw bad(ref, `${what} is not JSON`);
  }
}

/** The platform an index entry is for, as `linux/arm64/v8`. */
/** The platform an index entry is for, as an engine reports it (`linux/arm64`, Arm's v8 being the default). */
export const platformOf = (p: { os?: string; architecture?: string; variant?: string } | undefined) =>
  platformOfImage(p?.os, p?.architecture, p?.variant);

/** `--platform` as an engine reports it, so `linux/arm64/v8` and `linux/arm64` name one platform. */
export function wantedPlatform(platform: string | undefined): string {
  const want = platform ?? hostPlatform();
  const [os, architecture, variant] = want.split('/');
  return platformOfImage(os, architecture, variant) ?? want;
}

/** The host's platform in the image spec's words: what an index is read for when --platform names none. */
export function hostPlatform(): string {
  const arch = (
    { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<
      string,
      string
    >
  )[process.arch];
  return `linux/${arch ?? process.arch}`;
}

/**
 * One image from an OCI layout's blobs: the manifest `pick` chooses from index.json (by its ref.name annotation),
 * through nested indexes to the platform asked for, then its config and layers.
 */
function fromLayout(
  ref: string,
  blob: (digest: string) => Buffer | undefined,
  tag: string | undefined,
  platform: string | undefined,
): LayeredImage {
  const want = wantedPlatform(platform);
  let index = json<{ manifests?: Descriptor[] }>(ref, 'index.json', blob('index.json'));
  let chosen: Descriptor | undefined;
  const tagged = (index.manifests ?? []).filter((m) => !tag || m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!tagged.length) throw bad(ref, tag ? `no image tagged ${tag} in index.json` : 'index.json names no image');
  for (let depth = 0, list = tagged; depth < 4; depth++) {
    const m = list.length === 1 ? list[0] : list.find((d) => platformOf(d.platform) === want);
    if (!m)
      throw bad(
        ref,
        `no image for ${want}: it has ${list.map((d) => platformOf(d.platform) ?? '?').join(', ')}`,
        'give --platform with one of those',
      );
    if (!INDEX_TYPES.includes(m.mediaType ?? '')) {
      chosen = m;
      break;
    }
    index = json(ref, `index ${m.digest}`, blob(m.digest));
    list = index.manifests ?? [];
  }
  if (!chosen) throw bad(ref, 'its indexes nest too deep');
  const manifest = json<{ config?: Descriptor; layers?: Descriptor[] }>(ref, `manifest ${chosen.digest}`, blob(chosen.digest));
  if (!manifest.config) throw bad(ref, `manifest ${chosen.digest} names no config`);
  const configBytes = blob(manifest.config.digest);
  const config = json<OciConfig>(ref, `config ${manifest.config.digest}`, configBytes);
  for (const l of manifest.layers ?? []) checkLayerType(ref, l.digest, l.mediaType);
  const layers = (manifest.layers ?? []).map((l) => ({
    digest: l.digest,
    bytes: () => present(blob(l.digest), () => bad(ref, `layer ${l.digest} is missing`)),
  }));
  return { ref, id: manifest.config.digest, config, configBytes: configBytes!, layers, manifestDigest: chosen.digest };
}

/** Layer media types scratchify reads: OCI's and Docker's tars, plain, gzip or zstd (the last refused when read). */
const LAYER_TYPE =
  /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.(foreign\.)?diff\.tar(\.gzip)?)$/;

export function checkLayerType(ref: string, digest: string, type: string | undefined): void {
  if (type !== undefined && !LAYER_TYPE.test(type))
    throw bad(
      ref,
      `layer ${digest} has media type ${type}, which is no image layer scratchify reads`,
      'give an image whose layers are tar archives (skopeo inspect --raw shows them)',
    );
}

function present(b: Buffer | undefined, missing: () => Error): Buffer {
  if (!b) throw missing();
  return b;
}

const blobPath = (digest: string) => {
  const [alg, hex] = digest.split(':');
  if (!/^sha(256|512)$/.test(alg ?? '') || !/^[0-9a-f]{64,128}$/.test(hex ?? '')) return undefined;
  return `blobs/${alg}/${hex}`;
};

/** `oci:DIR[:TAG]`: an image layout directory. */
export function readOciDir(dir: string, tag: string | undefined, platform: string | undefined): LayeredImage {
  const ref = `oci:${dir}${tag ? `:${tag}` : ''}`;
  if (!existsSync(join(dir, 'index.json'))) throw bad(ref, `${dir} is not an OCI image layout (no index.json)`);
  const read = (name: string) => {
    const p = name === 'index.json' ? name : blobPath(name);
    return p && existsSync(join(dir, p)) ? readFileSync(join(dir, p)) : undefined;
  };
  return fromLayout(ref, read, tag, platform);
}

/** Bytes of one member of a tar file, read at its offset. */
function member(file: string, index: TarIndex, name: string): Buffer | undefined {
  const m = index[`/${name.replace(/^\.?\/+/, '')}`];
  if (m?.type !== 'file') return undefined;
  const b = Buffer.alloc(m.size);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, b, 0, m.size, m.offset);
  } finally {
    closeSync(fd);
  }
  return b;
}

function indexed(ref: string, file: string): TarIndex {
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) throw bad(ref, `${file} is not a file`);
  try {
    return indexTar(file);
  } catch (e) {
    throw bad(ref, `${file} is not a readable tar archive (${(e as Error).message})`);
  }
}

/** `oci-archive:FILE[:TAG]`: an image layout as one tar. */
export function readOciArchive(file: string, tag: string | undefined, platform: string | undefined): LayeredImage {
  const ref = `oci-archive:${file}${tag ? `:${tag}` : ''}`;
  const index = indexed(ref, file);
  return fromLayout(ref, (name) => member(file, index, name === 'index.json' ? name : (blobPath(name) ?? '')), tag, platform);
}

/** `docker-archive:FILE[:REF]`: `docker save`'s format; the image tagged REF, else the archive's only one. */
export function readDockerArchive(file: string, name: string | undefined): LayeredImage {
  const ref = `docker-archive:${file}${name ? `:${name}` : ''}`;
  const index = indexed(ref, file);
  const manifest = json<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>(
    ref,
    'manifest.json',
    member(file, index, 'manifest.json'),
  );
  const entry = name ? manifest.find((m) => m.RepoTags?.includes(name)) : manifest.length === 1 ? manifest[0] : undefined;
  if (!entry)
    throw bad(ref, name ? `no image tagged ${name} in it` : `it holds ${manifest.length} images`, 'name one: docker-archive:FILE:NAME:TAG');
  const configBytes = member(file, index, entry.Config);
  const config = json<OciConfig>(ref, entry.Config, configBytes);
  const id = `sha256:${createHash('sha256').update(configBytes!).digest('hex')}`;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = entry.Layers.map((p, i) => ({
    digest: diffIds[i] ?? p,
    bytes: () => present(member(file, index, p), () => bad(ref, `layer ${p} is missing`)),
  }));
  return { ref, id, config, configBytes: configBytes!, layers };
}
