import { platformOfImage } from '../elf/platform.js';
import type { Engine } from '../engine/engine.js';
import { type Pushed, pushImage } from '../image/push.js';
import { loadArchive } from '../engine/load.js';
import type { GenerateResult } from '../generate/generate.js';
import { imageLayers } from '../image/layers.js';
import { type BuiltImage, buildImage, buildIndex, type ImageSettings } from '../image/oci.js';
import type { ImageTarget } from '../image/transport.js';
import { dockerArchive, type LayoutFile, ociArchive, ociLayout } from '../image/write.js';

/** --image's outputs, made and not yet written: an archive among generate's files, a layout directory, or a load. */
export interface ImageOutputs {
  /** One image, or one per platform (written under an index). */
  images: BuiltImage[];
  files: { path: string; data: Buffer }[];
  ociDir?: { path: string; files: LayoutFile[] };
  /** A docker-archive for the engine to load, and the name it gets. */
  load?: { archive: Buffer; ref: string };
  /** A registry reference to push to. */
  push?: string;
}

/** SOURCE_DATE_EPOCH when it is a number of seconds (reproducible builds' convention), else `otherwise` (now). */
export function sourceDateEpoch(otherwise = Math.floor(Date.now() / 1000)): number {
  const v = process.env.SOURCE_DATE_EPOCH;
  return v && /^\d+$/.test(v) ? Number(v) : otherwise;
}

/** Every time in a written image: SOURCE_DATE_EPOCH when set, else 0, so no clock and no base rebuild changes a layer. */
export function imageEpoch(): number {
  return sourceDateEpoch(0);
}

/** The image a generate result describes, layered per package. */
export function builtImage(result: GenerateResult, settings: Omit<ImageSettings, 'labels'>): BuiltImage {
  const layers = imageLayers(result.bundle(), result.scaffoldPaths, result.packages, result.plan.root, [...result.plan.trees.keys()]);
  return buildImage(layers, { ...settings, labels: result.labels }, imageEpoch());
}

/** The images as the transport lays them out (an engine's store and docker-archive hold one platform: the job checked). */
export function imageOutputs(target: ImageTarget, images: BuiltImage[]): ImageOutputs {
  switch (target.kind) {
    case 'oci':
      return { images, files: [], ociDir: { path: target.path, files: ociLayout(images, target.tag) } };
    case 'oci-archive':
      return { images, files: [{ path: target.path, data: ociArchive(images, target.tag) }] };
    case 'docker-archive':
      return { images, files: [{ path: target.path, data: dockerArchive(images[0], target.ref) }] };
    case 'docker-daemon':
      return { images, files: [], load: { archive: dockerArchive(images[0], target.ref), ref: target.ref } };
    case 'docker':
      return { images, files: [], push: target.ref };
  }
}

/** Loads what goes into an engine, and says what was written where: a line, and --json's `image`. */
export async function imageWritten(
  o: ImageOutputs,
  target: ImageTarget,
  engine: () => Promise<Engine>,
): Promise<{ said: string; report: unknown }> {
  const e = o.load && (await engine());
  const where = o.load && e ? `${e.name}'s ${await loadArchive(e, o.load.archive, o.load.ref)}` : describe(target);
  const pushed = o.push ? await pushImage(o.images, o.push) : undefined;
  const { images } = o;
  const top = images.length === 1 ? images[0].manifest : buildIndex(images);
  const bytes = images.flatMap((i) => i.layers).reduce((n, l) => n + l.data.length, 0);
  const layers = images.reduce((n, i) => n + i.layers.length, 0);
  const what = images.length === 1 ? `manifest ${top.digest}` : `index ${top.digest} of ${images.map((i) => platformOf(i)).join(', ')}`;
  return {
    said: `wrote the image to ${where}: ${layers} layers, ${mib(bytes)}, ${what}${pushed ? `; ${sentText(pushed)}` : ''}`,
    report: {
      target: where,
      ...(pushed ? { pushed: { sent: pushed.sent, present: pushed.present } } : {}),
      ...(images.length === 1
        ? { manifest: top.digest, ...one(images[0]) }
        : { index: top.digest, platforms: images.map((i) => ({ platform: platformOf(i), manifest: i.manifest.digest, ...one(i) })) }),
    },
  };
}

const platformOf = (i: BuiltImage) => platformOfImage(i.platform.os, i.platform.architecture, i.platform.variant);

function one(i: BuiltImage) {
  return { config: i.config.digest, layers: i.layers.map((l) => ({ name: l.name, digest: l.digest, size: l.data.length })) };
}

function describe(t: ImageTarget): string {
  switch (t.kind) {
    case 'oci':
    case 'oci-archive':
      return `${t.kind}:${t.path}:${t.tag}`;
    case 'docker-archive':
      return `docker-archive:${t.path}${t.ref ? `:${t.ref}` : ''}`;
    default:
      return `${t.kind}:${t.ref}`;
  }
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

function sentText(p: Pushed): string {
  return `sent ${p.sent.blobs} blob${p.sent.blobs === 1 ? '' : 's'} (${mib(p.sent.bytes)}), ${p.present.blobs} the registry had already (${mib(p.present.bytes)})`;
}
