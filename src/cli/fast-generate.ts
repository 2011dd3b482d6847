import { readFileSync } from 'node:fs';
import { errorText } from '../errors.js';
import type { GenerateFlags } from './generate-flags.js';
import { type FastParse, fastParse, type ParseSpec } from './fast-parse.js';
import { runGenerate } from './generate-run.js';
import { knownError } from './known-error.js';
import { progressLine, sayLine } from './progress.js';
import type { FlagDef } from './regenerate.js';

/**
 * generate's flags as the build writes them (scripts/bundle.mjs, from the oclif command's own definitions, in
 * their order) beside the bundles: what the fast path parses with, and the one copy it has.
 */
export interface GenerateFlagsFile {
  version: string;
  flags: Record<string, ParseSpec & FlagDef & { dependsOn?: readonly string[]; exclusive?: readonly string[] }>;
}

/** A definition as the file keeps it; undefined when its default is computed (the file cannot hold that). */
export function flagDefOf(f: Record<string, unknown>): GenerateFlagsFile['flags'][string] | undefined {
  if (typeof f.default === 'function') return undefined;
  const pick = ['type', 'char', 'default', 'multiple', 'allowNo', 'options', 'dependsOn', 'exclusive'] as const;
  return Object.fromEntries(pick.filter((k) => f[k] !== undefined).map((k) => [k, f[k]])) as unknown as GenerateFlagsFile['flags'][string];
}

/** Flags whose handling the fast path leaves to oclif: --json's output, and the service's steps in their order. */
const LEFT_TO_OCLIF = ['json', 'trace-service', 'probe', 'probe-cmd', 'restart', 'volume'];

/**
 * The main job's argv as oclif would parse it, or undefined when the fast path must leave it to oclif: anything
 * fastParse declines (see there), a first word that is not a path (a command, a typo), and flags that need more of
 * oclif than its parse (LEFT_TO_OCLIF, and those that depend on or exclude others).
 */
export function fastGenerateArgs(argv: readonly string[], file: GenerateFlagsFile): FastParse | undefined {
  let args = argv;
  if (args[0] === 'generate') args = args.slice(1);
  else if (args[0] === undefined || args[0].startsWith('-') || !args[0].includes('/')) return undefined;
  const parsed = fastParse(args, file.flags, { dashDash: true, emptyMultiple: false });
  if (!parsed) return undefined;
  for (const [name, def] of Object.entries(file.flags)) {
    const given = parsed.flags[name] !== undefined && parsed.flags[name] !== def.default;
    if (given && (LEFT_TO_OCLIF.includes(name) || def.dependsOn?.length || def.exclusive?.length)) return undefined;
  }
  return parsed;
}

/**
 * `scratchify BINARY ...` without oclif, whose loading is a sixth of a warm generate: false, having done
 * nothing, when the argv is not one it reads exactly as oclif would; else the run, with the errors a user can
 * cause reported as oclif's command would report them. Any other error is the caller's (bin/run.js hands it to
 * oclif's handler). SCRATCHIFY_NO_FAST_PATH=1 (read by bin/run.js) always uses oclif.
 */
export function run(argv: readonly string[], flagsFile: string): false | Promise<void> {
  let file: GenerateFlagsFile;
  try {
    file = JSON.parse(readFileSync(flagsFile, 'utf8')) as GenerateFlagsFile;
  } catch {
    return false; // a build without it: oclif
  }
  const parsed = fastGenerateArgs(argv, file);
  if (!parsed) return false;
  const request = { binary: parsed.positionals[0], argv: parsed.positionals, flags: parsed.flags as GenerateFlags, raw: [] };
  const context = { json: false, progress: progressLine(false), say: sayLine(false), version: file.version, flagDefs: file.flags };
  return runGenerate(request, context).then(
    () => undefined,
    (e: unknown) => {
      const user = knownError(e);
      if (!user) throw e;
      process.stderr.write(errorText(user));
      process.exitCode = user.exitCode;
    },
  );
}
