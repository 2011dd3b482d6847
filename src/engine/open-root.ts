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
}): Promise<OpenedRoot> {
  if (opts.dir || (!opts.image && !opts.stage)) return { root: openDirRoot(opts.dir ?? '/') };
  const engine = await detectEngine(opts.engine as EngineName | undefined);
  const ref = opts.stage ? await buildStage(engine, opts.stage.dockerfile, opts.stage.target, opts.stage.network) : opts.image!;
  const image = await inspectImage(engine, ref);
  return { root: await openImageRoot(engine, image, opts.progress), image, engine };
}
