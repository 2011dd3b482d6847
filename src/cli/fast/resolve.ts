import { fastParse } from './parse.js';
import { ScratchifyError, errorText } from '../../errors.js';
import { RESOLVE_FLAGS, runResolve } from '../resolve-run.js';

/**
 * `scratchify resolve` without oclif: loading oclif costs several times the work of resolving a program.
 * bin/run.js tries this first; it returns false, having done nothing, for any argv it does not read exactly as
 * oclif would (see fastParse), and oclif runs instead.
 */
export function run(argv: readonly string[]): boolean {
  if (argv[0] !== 'resolve') return false;
  const parsed = fastParse(argv.slice(1), RESOLVE_FLAGS);
  if (!parsed) return false;
  // fastParse filled in the defaults: root and format are set, include is a list.
  const f = parsed.flags as Record<string, string | undefined> & { root: string; format: string; include: string[] };
  try {
    runResolve({
      programs: parsed.positionals,
      root: f.root,
      include: f.include,
      format: f.format,
      libraryPath: f['library-path'],
      hwcaps: f.hwcaps,
    });
  } catch (e) {
    if (!(e instanceof ScratchifyError)) throw e;
    process.stderr.write(errorText(e));
    process.exitCode = e.exitCode;
  }
  return true;
}
