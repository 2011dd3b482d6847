import type { Step } from '../../engine/session.js';
import { checkTraceTimeout } from '../../engine/trace-all.js';
import type { VolumeSpec } from '../../engine/volumes.js';
import { ScratchifyError } from '../../errors.js';
import { checkExpose } from '../../generate/expose.js';
import type { GenerateFlags } from '../generate-flags.js';
import { type OutputPaths, outputPaths } from '../generate-outputs.js';
import { roundTripSteps, seconds, serviceSteps, volumes } from '../service-steps.js';
import { type ImageSource, imageSource } from './source.js';

/** generate, parsed and checked once: every flag combination refused here, before any work. */
export interface GenerateJob {
  program: string;
  /** The program's arguments after `--`, in order. */
  extra: string[];
  flags: GenerateFlags;
  source: ImageSource;
  /** --trace-service's requests, in the order given. */
  steps: Step[];
  volumes: VolumeSpec[];
  stopTimeout: number;
  expose: string[];
  paths: OutputPaths;
  /** --platform's list: several make one Dockerfile with a stage each. */
  platforms: string[];
}

/** The job a generate command line asks for, or the one-line error that says what to change. */
export function generateJob(
  positionals: string[],
  flags: GenerateFlags,
  raw: readonly { type: string; flag?: string; input: string }[],
  json: boolean,
): GenerateJob {
  const program = positionals[0];
  const steps = roundTripSteps(serviceSteps(raw), program, false);
  if (flags['trace-service'] && steps.length === 0)
    throw new ScratchifyError('USAGE', '--trace-service needs the requests to make: --probe URL or --probe-cmd CLIENT', {
      hint: 'e.g. --trace-service --probe http://127.0.0.1/',
    });
  if (!flags['trace-service'] && (steps.length > 0 || flags.volume?.length))
    throw new ScratchifyError('USAGE', '--probe, --probe-cmd, --restart and --volume go with --trace-service (or verify)', {
      hint: 'add --trace-service to trace the service while it answers them',
    });
  const vols = volumes(flags.volume);
  const stopTimeout = seconds('stop-timeout', flags['stop-timeout']);
  const expose = (flags.expose ?? []).map(checkExpose);
  checkTraceTimeout(flags['trace-timeout']);
  if (flags.user !== undefined && !flags.user.trim())
    throw new ScratchifyError('USAGE', '--user is empty', { hint: 'give NAME or UID[:GID], or leave --user out' });
  const source = imageSource(flags);
  const paths = outputPaths(flags, json);
  const platforms = flags.platform?.split(',') ?? [];
  if ((paths.image?.kind === 'docker-archive' || paths.image?.kind === 'docker-daemon') && platforms.length > 1)
    throw new ScratchifyError('USAGE', `--image ${flags.image} holds one platform, and --platform names ${platforms.length}`, {
      hint: 'write them all with --image oci:DIR, oci-archive:FILE or docker://NAME:TAG (an index), or give one --platform',
    });
  return {
    program,
    extra: positionals.slice(1),
    flags,
    source,
    steps,
    volumes: vols,
    stopTimeout,
    expose,
    paths,
    platforms,
  };
}
