import { openDirRoot } from '../rootfs/open.js';
import type { Root } from '../rootfs/root.js';
import { detectEngine, type EngineName } from './engine.js';
import { inspectImage, openImageRoot, type ImageInfo } from './image.js';

export interface OpenedRoot {
  root: Root;
  image?: ImageInfo;
}

/** A directory when `dir` is given (or neither is: this machine's /), else the image through the engine. */
export async function openRoot(opts: { image?: string; dir?: string; engine?: string }): Promise<OpenedRoot> {
  if (opts.dir || !opts.image) return { root: openDirRoot(opts.dir ?? '/') };
  const engine = await detectEngine(opts.engine as EngineName | undefined);
  const image = await inspectImage(engine, opts.image);
  return { root: await openImageRoot(engine, image), image };
}
