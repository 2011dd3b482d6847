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

/** How a program of an architecture is traced here: strace brought in, or qemu-user's own syscall log. */
export interface TraceMethod {
  /** This machine's strace, brought in: the image's architecture runs natively here. */
  tracer: TracerBundle | null;
  /** Set when it runs under qemu-user, which ptrace cannot follow: traces come from qemu's own log. */
  qemu: boolean;
}

/** The one place that decides how a traced run of `imageArch` is traced (neither when nothing here can). */
export function traceMethod(imageArch: string | undefined): TraceMethod {
  const tracer = prepareTracer(imageArch) ?? null;
  return { tracer, qemu: !tracer && canRun(imageArch) === 'emulated' };
}
