import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { checkTraceTimeout } from '../../engine/trace-all.js';
import type { VolumeSpec } from '../../engine/volumes.js';
import { ScratchifyError } from '../../errors.js';
import { checkOutputs } from '../output.js';
import { positionals } from '../positionals.js';
import type { Step } from '../../engine/session.js';
import { roundTripSteps, seconds, serviceSteps, volumes } from '../service-steps.js';
import type { VerifyFlags } from '../verify-flags.js';
import { type ImageSource, imageSource } from './source.js';
import { type ImageTarget, parseImageTarget } from '../../image/transport.js';

/** verify, parsed and checked once: every flag combination refused here, before any work. */
export interface VerifyJob {
  program: string;
  /** The program's arguments after `--`, in order. */
  extra: string[];
  flags: VerifyFlags;
  source: ImageSource;
  smokes: string[];
  steps: Step[];
  volumes: VolumeSpec[];
  timeout: number;
  stopTimeout: number;
  /** -o, absolute; -f, absolute. */
  out?: string;
  file?: string;
  /** --image: the written image to verify. */
  image?: ImageTarget;
}

/** The job a verify command line asks for, or the one-line error that says what to change. */
export function verifyJob(
  program: string,
  flags: VerifyFlags,
  raw: Parameters<typeof positionals>[0],
  say: (line: string) => void,
): VerifyJob {
  if (!flags.base && !flags.dockerfile)
    throw new ScratchifyError('USAGE', 'verify needs the base image: --base IMAGE, or --dockerfile FILE --target STAGE', {
      hint: 'the image the program comes from; verify builds and runs images, so it needs one',
    });
  if (flags.engine === 'none')
    throw new ScratchifyError('USAGE', 'verify runs images: --engine none cannot run them', {
      hint: 'give --engine docker or podman, or leave --engine out',
    });
  const source = imageSource(flags);
  checkTraceTimeout(flags['trace-timeout']);
  const timeout = seconds('timeout', flags.timeout);
  const smokes = flags.smoke ?? [];
  const given = serviceSteps(raw);
  const steps = roundTripSteps(given, program, smokes.length === 0);
  if (given.length === 0 && steps.length > 0 && steps[0].kind === 'probe')
    say(`no --smoke or --probe given: ${steps[0].probe.text}, with ${program}'s own round trip (--probe overrides)`);
  if (smokes.length === 0 && steps.length === 0)
    throw new ScratchifyError(
      'USAGE',
      `nothing to verify: give --smoke ARGS, or --probe / --probe-cmd for a service (${program} is no service whose protocol scratchify knows)`,
      { hint: "e.g. --smoke '--version', or --probe http://127.0.0.1:8080/" },
    );
  if ((flags.volume?.length || flags.restart) && steps.length === 0)
    throw new ScratchifyError('USAGE', '--volume and --restart apply to a service: give --probe or --probe-cmd', {
      hint: 'e.g. --probe tcp://127.0.0.1:6379',
    });
  if (flags.fix && !flags.output)
    throw new ScratchifyError('USAGE', '--fix writes the Dockerfile it verified: give -o FILE', { hint: 'e.g. --fix -o Dockerfile' });
  const out = flags.output ? resolvePath(flags.output) : undefined;
  if (out) checkOutputs([out, `${out}.scaffold.tar`]);
  const file = flags.file ? resolvePath(flags.file) : undefined;
  if (file && !existsSync(file))
    throw new ScratchifyError('INPUT_NOT_FOUND', `-f ${flags.file}: no such file`, { hint: 'give the path of the Dockerfile to verify' });
  const image = flags.image !== undefined ? parseImageTarget(flags.image) : undefined;
  if (image?.kind === 'docker-daemon')
    throw new ScratchifyError('USAGE', `--image ${flags.image}: verify loads an image written to files or a registry`, {
      hint: `write it with --image docker-archive:image.tar:${image.ref} and verify --image docker-archive:image.tar:${image.ref}`,
    });
  return {
    image,
    program,
    extra: positionals(raw).slice(1),
    flags,
    source,
    smokes,
    steps,
    volumes: volumes(flags.volume),
    timeout,
    stopTimeout: seconds('stop-timeout', flags['stop-timeout']),
    out,
    file,
  };
}
