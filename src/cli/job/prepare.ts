import type { UsedPath } from '../../additions.js';
import { checkCanRun } from '../../engine/emulation.js';
import type { OpenedRoot } from '../../engine/open-root.js';
import { isProgram, traceAll } from '../../engine/trace-all.js';
import { checkVolume, type VolumeSpec } from '../../engine/volumes.js';
import { ScratchifyError } from '../../errors.js';

/** What every job that runs the image needs before it plans: its volumes there, its --trace runs done. */
export interface Prepared {
  traced: UsedPath[];
  warnings: string[];
  notes: string[];
}

/**
 * The one preparation generate, --trace-service and verify share, on a root already opened: the image must be
 * runnable here when the job runs it, --trace and service runs need an image (never this machine's root), each
 * --volume must exist in the engine, then the --trace runs.
 */
export async function prepareJob(
  opened: OpenedRoot,
  job: {
    program: string;
    traces: string[];
    traceTimeout: string;
    volumes: VolumeSpec[];
    /** Set when the job runs the image itself (verify; --trace-service): its architecture must run here. */
    runs?: 'verify' | '--trace-service';
    say: (line: string) => void;
  },
): Promise<Prepared> {
  const { image, engine } = opened;
  if ((job.traces.length > 0 || job.runs) && (!engine || !image))
    throw new ScratchifyError('USAGE', '--trace needs an image (--base or --dockerfile/--target) to run the command in', {
      hint: 'scratchify never runs programs from a root on this machine',
    });
  if (job.runs === 'verify') checkCanRun(image!.architecture, 'verify', image!.platform);
  for (const v of job.volumes) await checkVolume(engine!, v);
  return traceAll(engine!, image!, job.traces, job.traceTimeout, isProgram(opened.root, job.program), job.say);
}
