import { profileFor } from '../profiles/registry.js';
import type { ProfileResult } from '../profiles/types.js';
import { Resolver } from '../resolve/resolver.js';
import type { LinkMap } from '../resolve/types.js';
import { type CarriedEntry, carriedEntry, defaultArgsBeside } from './base-config.js';
import { entryPrograms } from './entry.js';
import type { GenerateInput } from './input.js';
import { imageAccounts } from './run-as.js';

/** How the program starts in the image: the base's ENTRYPOINT and CMD kept, its arguments, and its profile. */
export interface Start {
  carried: CarriedEntry;
  /** The arguments the program starts with (kept ENTRYPOINT arguments, the user's, the kept CMD). */
  startArgs: string[];
  profile?: ProfileResult;
}

/** The start of `main` (the last program of the interpreter chain `programs`), from the base's configuration. */
export function startOf(input: GenerateInput, main: LinkMap, programs: string[]): Start {
  const { root } = input;
  const config = input.baseConfig;
  // The program as asked for and as exec'ed: a script's base may start the script or its interpreter.
  const asked = root.lookup(input.program)?.path;
  const reals = asked && asked !== main.program.real ? [asked, main.program.real] : [main.program.real];
  const carried = config ? carriedEntry(root, reals, config, input.args) : { entryArgs: [], notes: [] };
  const startArgs = [...carried.entryArgs, ...input.args, ...(carried.cmd ?? [])];
  const profile = profileFor(root, programs[programs.length - 1], main.program.real, main.program.elf, {
    args: startArgs,
    env: config?.env,
  });
  return { carried, startArgs, profile };
}

/** The ENTRYPOINT: the program, the base's arguments kept, the profile's own (unless already set), the user's. */
export function entrypointOf(
  input: GenerateInput,
  s: { carried: Pick<CarriedEntry, 'entryArgs' | 'cmd'>; profile?: ProfileResult },
): string[] {
  const defaults = defaultArgsBeside(s.profile?.defaultArgs ?? [], [...s.carried.entryArgs, ...(s.carried.cmd ?? [])]);
  return [input.program, ...s.carried.entryArgs, ...defaults, ...input.args];
}

/**
 * How the image will start (ENTRYPOINT, CMD, USER), without planning its files: --trace-service starts the service
 * in the base this way, and the plan is made once, with what that run used.
 */
export function imageStart(input: GenerateInput): { entrypoint: string[]; cmd?: string[]; user: string } {
  const entry = entryPrograms(input.root, input.program);
  const main = new Resolver(input.root, input.resolve).loadProgram(entry.programs[entry.programs.length - 1]);
  const start = startOf(input, main, entry.programs);
  return { entrypoint: entrypointOf(input, start), cmd: start.carried.cmd, user: imageAccounts(input, start.profile, []).user };
}
