import { existsSync } from 'node:fs';
import { type BroughtIn, bringIn, hostArch } from './bring-in.js';
import { canRun } from './emulation.js';

export { hostArch };

/** Where the tracer is mounted inside the container, read-only; a name no image uses. */
export const TRACER_MOUNT = '/.scratchify-tracer';

/** A copy of this machine's strace and everything its loader maps, ready to bind-mount into a container. */
export type TracerBundle = BroughtIn;

/** Where to look for strace on this machine; SCRATCHIFY_STRACE names another build, or `none` for none. */
function hostStrace(): string | undefined {
  if (process.env.SCRATCHIFY_STRACE === 'none') return undefined;
  const candidates = [process.env.SCRATCHIFY_STRACE, '/usr/bin/strace', '/bin/strace', '/usr/local/bin/strace'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

/**
 * Brings a tracer into any image: this machine's strace (bring-in.ts says how). Nothing of the image ever runs
 * here. Returns undefined when there is no strace here, or it is built for another machine than the image.
 */
export function prepareTracer(imageArch: string | undefined): TracerBundle | undefined {
  const strace = hostStrace();
  if (!strace) return undefined;
  // This machine's strace follows what this machine runs itself (i386 programs on amd64), not what qemu emulates.
  if (imageArch && canRun(imageArch) !== 'native') return undefined;
  return bringIn(strace, TRACER_MOUNT);
}
