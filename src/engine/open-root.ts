import { isPlatform } from '../elf/platform.js';
import { ScratchifyError } from '../errors.js';
import { openDirRoot } from '../rootfs/open.js';
import type { Root } from '../rootfs/root.js';
import { buildStage } from './build.js';
import { detectEngine, type Engine, type EngineName } from './engine.js';
import { inspectImage, localImage, type ImageInfo } from './image.js';
import { openImageRoot, type Progress } from './image-cache.js';
import { isTransport, openLayeredRoot } from './layered-root.js';
import { namesRegistry } from '../image/pull.js';
import { atDigest, manifestList } from './registry.js';

export interface OpenedRoot {
  root: Root;
  image?: ImageInfo;
  engine?: Engine;
  /** Removes what opening made: the tag of a --dockerfile stage built to read it (its layers stay in the build cache). */
  release?: () => Promise<void>;
  /** What the user should know of how it was opened. */
  notes?: string[];
}

/** A directory when `dir` is given (or neither is: this machine's /), else the image through the engine. */
export async function openRoot(opts: {
  image?: string;
  dir?: string;
  engine?: string;
  stage?: { dockerfile: string; target: string; network?: string };
  progress?: Progress;
  /** --platform: the platform the base must be, or be taken for from its registry's list. */
  platform?: string;
}): Promise<OpenedRoot> {
  if (opts.dir || (!opts.image && !opts.stage)) return { root: openDirRoot(opts.dir ?? '/') };
  if (opts.platform !== undefined && !isPlatform(opts.platform))
    throw new ScratchifyError('USAGE', `--platform ${opts.platform}: not a platform`, {
      hint: 'write OS/ARCHITECTURE[/VARIANT], e.g. linux/arm64',
    });
  if (opts.image && !opts.stage && (isTransport(opts.image) || opts.engine === 'none')) {
    const { root, image } = await openLayeredRoot(opts.image, opts.platform, opts.progress);
    checkImagePlatform(opts.platform, image);
    return { root, image };
  }
  if (opts.engine === 'none')
    throw new ScratchifyError('USAGE', '--engine none reads a --base from its registry or files; a Dockerfile stage needs an engine', {
      hint: 'give --engine docker or podman',
    });
  let engine: Engine;
  try {
    engine = await detectEngine(opts.engine as EngineName | undefined);
  } catch (e) {
    // No engine answers, and none was asked for: an image a registry names is read from there instead.
    if (!(e instanceof ScratchifyError) || opts.engine || opts.stage || !opts.image || !namesRegistry(opts.image)) throw e;
    const read = await openLayeredRoot(opts.image, opts.platform, opts.progress).catch((e2: unknown) => {
      throw new ScratchifyError(e.code, `${e.message}; and ${opts.image} could not be read from its registry (${(e2 as Error).message})`, {
        hint: e.hint,
        cause: e2,
      });
    });
    checkImagePlatform(opts.platform, read.image);
    return {
      ...read,
      notes: [`no container engine answers: ${opts.image} was read from its registry (--engine none does so without asking)`],
    };
  }
  let image: ImageInfo;
  let release: (() => Promise<void>) | undefined;
  if (opts.stage) {
    const tag = await buildStage(engine, opts.stage.dockerfile, opts.stage.target, opts.stage.network);
    image = await inspectImage(engine, tag);
    checkImagePlatform(opts.platform, image);
    const root = await openImageRoot(engine, image, opts.progress);
    // The stage image is ours: removed once read (what scratchify keeps of it stays cached by ID, its layers in
    // the build cache, so the next build of an unchanged stage is as fast and reads no export again). The
    // container files were fetched from goes first: the engine keeps an image a container uses.
    release = async () => {
      root.backend.close?.();
      await engine.exec(['rmi', tag], { timeout: 120_000 });
    };
    return { root, image, engine, release };
  }
  image = await imageFor(engine, opts.image!, opts.platform);
  return { root: await openImageRoot(engine, image, opts.progress), image, engine };
}

/**
 * The base for a platform: the local image when it is that platform; else, when the registry holds a
 * multi-platform list under the name, that platform's image pulled by its digest (a tag is never replaced),
 * pinned to the list's digest.
 */
export async function imageFor(engine: Engine, ref: string, platform: string | undefined): Promise<ImageInfo> {
  if (platform === undefined) return inspectImage(engine, ref);
  const local = await localImage(engine, ref);
  if (local && (local.platform === platform || !local.platform)) return local;
  const list = ref.includes('/') ? await manifestList(ref).catch(() => undefined) : undefined;
  if (!list) {
    const image = local ?? (await inspectImage(engine, ref));
    checkImagePlatform(platform, image);
    return image;
  }
  const entry = list.platforms.find((p) => p.platform === platform);
  if (!entry)
    throw new ScratchifyError(
      'PLATFORM_MISMATCH',
      `--platform ${platform}: ${ref} has ${list.platforms.map((p) => p.platform).join(', ')}`,
      {
        hint: 'name one of those platforms',
      },
    );
  const image = await inspectImage(engine, atDigest(ref, entry.digest));
  return { ...image, ref, pinned: atDigest(ref, list.digest), platformRef: atDigest(ref, entry.digest) };
}

/** A --platform the base is not: refused before the export, naming both. */
function checkImagePlatform(wanted: string | undefined, image: ImageInfo): void {
  if (wanted !== undefined && image.platform && image.platform !== wanted)
    throw new ScratchifyError('PLATFORM_MISMATCH', `--platform ${wanted}: ${image.ref} is ${image.platform}`, {
      hint: `name the base of ${wanted} (a multi-platform base in a registry is taken for the platform asked)`,
    });
}
