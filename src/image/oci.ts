import { createHash } from 'node:crypto';
import { writeTar } from '../rootfs/tar-write.js';
import type { Layer } from './layers.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** What the image runs, as the Dockerfile's instructions would set it. */
export interface ImageSettings {
  entrypoint: string[];
  cmd: string[] | null;
  user: string;
  expose: string[];
  env: string[];
  workdir: string | null;
  stopSignal: string | null;
  volumes: string[];
  labels: Record<string, string>;
  healthcheck: { test: string[]; interval?: number; timeout?: number; startPeriod?: number; retries?: number } | null;
  /** `linux/arm64/v8`; the program's platform when the base says none. */
  platform: string | null;
}

export interface Blob {
  mediaType: string;
  digest: string;
  data: Buffer;
}

/** An image made of blobs: what every transport writes, in its own layout. */
export interface BuiltImage {
  config: Blob;
  manifest: Blob;
  layers: (Blob & { diffId: string; name: string })[];
  platform: { os: string; architecture: string; variant?: string };
}

/** Docker's default search path, which BuildKit puts in a scratch image's environment when it sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function blob(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256(data), data };
}

/** The environment as a build of the Dockerfile leaves it: PATH first (the base's, else Docker's default), then the base's own in order. */
function environment(env: readonly string[]): string[] {
  const path = env.find((e) => e.startsWith('PATH='));
  return [path ?? `PATH=${DEFAULT_PATH}`, ...env.filter((e) => !e.startsWith('PATH='))];
}

function platformOf(s: ImageSettings): BuiltImage['platform'] {
  const [os, architecture, variant] = (s.platform ?? 'linux/amd64').split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

const set = (keys: readonly string[]) => (keys.length ? Object.fromEntries(keys.map((k) => [k, {}])) : undefined);

/**
 * The image's config, manifest and layer blobs. Layers are stored uncompressed: their digest is then the digest
 * of what scratchify wrote, never of a compressor's version; `epoch` is every time in it (SOURCE_DATE_EPOCH).
 */
export function buildImage(layers: readonly Layer[], s: ImageSettings, epoch: number): BuiltImage {
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const written = layers
    .map((l) => ({ l, data: writeTar(l.entries, epoch) }))
    .map(({ l, data }) => ({ ...blob(MEDIA.layer, data), diffId: sha256(data), name: l.name }));
  const platform = platformOf(s);
  const ports = s.expose.map((p) => (p.includes('/') ? p : `${p}/tcp`));
  const h = s.healthcheck;
  const config = {
    created,
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: {
      User: s.user,
      ExposedPorts: set([...new Set(ports)].sort()),
      Env: environment(s.env),
      Entrypoint: s.entrypoint,
      Cmd: s.cmd ?? undefined,
      Volumes: set(s.volumes),
      // BuildKit gives a scratch image / when no WORKDIR says otherwise.
      WorkingDir: s.workdir ?? '/',
      Labels: Object.keys(s.labels).length ? s.labels : undefined,
      StopSignal: s.stopSignal ?? undefined,
      Healthcheck: h
        ? { Test: h.test, Interval: h.interval, Timeout: h.timeout, StartPeriod: h.startPeriod, Retries: h.retries }
        : undefined,
    },
    rootfs: { type: 'layers', diff_ids: written.map((w) => w.diffId) },
    history: written.map((w) => ({ created, created_by: `scratchify: ${w.name}` })),
  };
  const configBlob = blob(MEDIA.config, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configBlob.digest, size: configBlob.data.length },
    layers: written.map((w) => ({ mediaType: MEDIA.layer, digest: w.digest, size: w.data.length })),
  };
  return { config: configBlob, manifest: blob(MEDIA.manifest, Buffer.from(JSON.stringify(manifest))), layers: written, platform };
}

/** The image index of several platforms' images: what a registry serves for a multi-platform tag. */
export function buildIndex(images: readonly BuiltImage[]): Blob {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: images.map((i) => ({
      mediaType: MEDIA.manifest,
      digest: i.manifest.digest,
      size: i.manifest.data.length,
      platform: i.platform,
    })),
  };
  return blob(MEDIA.index, Buffer.from(JSON.stringify(index)));
}
