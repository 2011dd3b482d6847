import { existsSync } from 'node:fs';
import type { Progress } from '../../engine/image-cache.js';
import { type OpenedRoot, openRoot } from '../../engine/open-root.js';
import { checkImageReference } from '../../engine/reference.js';
import { isTransport } from '../../engine/layered-root.js';
import { ScratchifyError } from '../../errors.js';

/** Where a job's files come from, worked out from the flags once. */
export type ImageSource =
  | { kind: 'host' }
  | { kind: 'dir'; dir: string }
  | { kind: 'image'; ref: string; platform?: string }
  | { kind: 'stage'; dockerfile: string; target: string; network?: string; platform?: string };

/** The flags that name a source. */
export interface SourceFlags {
  base?: string;
  root?: string;
  dockerfile?: string;
  target?: string;
  'build-network'?: string;
  platform?: string;
}

/** The stage of the user's Dockerfile the flags name (--dockerfile with --target), or none: the one place that says. */
export function stageOf(flags: SourceFlags): Extract<ImageSource, { kind: 'stage' }> | undefined {
  return flags.dockerfile && flags.target
    ? { kind: 'stage', dockerfile: flags.dockerfile, target: flags.target, network: flags['build-network'], platform: flags.platform }
    : undefined;
}

/**
 * The source the flags name, checked before any work: an image reference an engine could parse, a Dockerfile that
 * exists. A directory wins (--base then only names the image the Dockerfile starts FROM), then a stage of the
 * user's Dockerfile, then the image; else this machine's root.
 */
export function imageSource(flags: SourceFlags): ImageSource {
  if (flags.base && !isTransport(flags.base)) checkImageReference('--base', flags.base);
  const stage = stageOf(flags);
  if (stage && !existsSync(stage.dockerfile))
    throw new ScratchifyError('INPUT_NOT_FOUND', `--dockerfile ${stage.dockerfile}: no such file`, {
      hint: 'give the path of your Dockerfile',
    });
  if (flags.root) return { kind: 'dir', dir: flags.root };
  if (stage) return stage;
  if (flags.base) return { kind: 'image', ref: flags.base, platform: flags.platform };
  return { kind: 'host' };
}

/** Opens the source's root: a directory as it is, an image through the engine, a stage built first. */
export function openSource(source: ImageSource, opts: { base?: string; engine?: string; progress?: Progress }): Promise<OpenedRoot> {
  return openRoot({
    image: source.kind === 'image' ? source.ref : opts.base,
    dir: source.kind === 'dir' ? source.dir : undefined,
    stage: source.kind === 'stage' ? { dockerfile: source.dockerfile, target: source.target, network: source.network } : undefined,
    engine: opts.engine,
    progress: opts.progress,
    platform: source.kind === 'image' || source.kind === 'stage' ? source.platform : undefined,
  });
}
