import { Flags, type Interfaces } from '@oclif/core';
import { shapeFlags } from './generate-flags.js';
import { serviceFlags } from './service-flags.js';

/** Rounds --fix may add files in before it gives up. */
export const MAX_FIX_ROUNDS = 5;

// verify runs images, never a root directory; and -r must stay free for smoke commands (`--smoke=-r CODE`):
// oclif takes a value that starts with one of the command's short flags for a missing value.
const { root: _root, ...imageFlags } = shapeFlags;

/** Every flag of verify: generate's that shape the image, the smoke commands and service checks, --fix, -o, -f. */
export const verifyFlags = {
  ...imageFlags,
  smoke: Flags.string({ description: "arguments to run the program with, e.g. --smoke '--version'; repeatable", multiple: true }),
  'smoke-status': Flags.integer({
    description: 'the exit status the smoke commands end with in the base (default 0): a failure both should show alike',
    min: 0,
    max: 255,
  }),
  ...serviceFlags,
  fix: Flags.boolean({
    description: `add what the base used and the scratch image lacked, and verify again (at most ${MAX_FIX_ROUNDS} rounds); needs -o`,
  }),
  'compare-stderr': Flags.boolean({ description: 'also require the same standard error of smoke commands' }),
  hardened: Flags.boolean({
    description:
      'run the scratch image hardened: --read-only, --cap-drop ALL (but what it needs), no-new-privileges, its user, a tmpfs or volume for each path it writes',
    exclusive: ['file'],
  }),
  timeout: Flags.string({ description: 'seconds each run may take, and a service to become ready', default: '60' }),
  output: Flags.string({ char: 'o', description: 'write the verified Dockerfile here (and its scaffold archive beside it)' }),
  image: Flags.string({
    description:
      'verify this image, written already (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], docker://NAME:TAG), loaded into the engine, instead of one built from a generated Dockerfile',
    exclusive: ['file', 'fix', 'hardened', 'include', 'trace', 'output'],
  }),
  file: Flags.string({
    char: 'f',
    description:
      'verify this Dockerfile, built in its own directory, instead of generating one (with --fix: COPY lines for what it lacks are added to a copy written to -o)',
    exclusive: ['include', 'trace', 'dockerfile'],
  }),
};

export type VerifyFlags = Interfaces.InferredFlags<typeof verifyFlags>;
