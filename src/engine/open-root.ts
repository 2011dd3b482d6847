import { isPlatform } from '../elf/platform.js';
import { ScratchifyError } from '../errors.js';
import { openDirRoot } from '../rootfs/open.js';
import type { Root } from '../rootfs/root.js';
import { buildStage } from './build.js';
import { detectEngine, type Engine, type EngineName } from './engine.js';
import { inspectImage, openImageRoot, type ImageInfo, type Progress } from './image.js';

export interface OpenedRoot {
  root: Root;
  image?: ImageInfo;
  engine?: Engine;
}

/** A directory when `dir` is given (or neither is: this machine's /), else the image through the engine. */
export async function openRoot(opts: {
  image?: string;
  dir?: string;
  engine?: string;
  stage?: { dockerfile: string; target: string; network?: string };
  progress?: Progress;
  /** --platform: the platform the base must be. */
  platform?: string;
}): Promise<OpenedRoot> {
  if (opts.dir || (!opts.image && !opts.stage)) return { root: openDirRoot(opts.dir ?? '/') };
  const engine = await detectEngine(opts.engine as EngineName | undefined);
  const ref = opts.stage ? await buildStage(engine, opts.stage.dockerfile, opts.stage.target, opts.stage.network) : opts.image!;
  const image = await inspectImage(engine, ref);
  checkPlatform(opts.platform, image);
  return { root: await openImageRoot(engine, image, opts.progress), image, engine };
}

/** A --platform the base is not: refused before the export, naming both. */
function checkPlatform(wanted: string | undefined, image: ImageInfo): void {
  if (wanted === undefined) return;
  if (!isPlatform(wanted))
    throw new ScratchifyError('USAGE', `--platform ${wanted}: not a platform`, {
      hint: 'write OS/ARCHITECTURE[/VARIANT], e.g. linux/arm64',
    });
  if (image.platform && image.platform !== wanted)
    throw new ScratchifyError('PLATFORM_MISMATCH', `--platform ${wanted}: ${image.ref} is ${image.platform}`, {
      hint: `name the base of ${wanted} (a multi-platform base in a registry is taken for the platform asked)`,
    });
}
