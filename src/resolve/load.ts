import { NotElfError } from '../elf/errors.js';
import { ScratchifyError } from '../errors.js';
import { LookupError, type Root } from '../rootfs/root.js';
import { expandInclude, type IncludeMatch } from '../rootfs/include.js';
import { InputError, Resolver } from './resolver.js';
import type { LinkMap, ResolveOptions } from './types.js';

/** Turns a resolver InputError into the user-facing error for that input. */
export function inputError(e: InputError, root: Root): ScratchifyError {
  const where = root.description;
  if (e.cause instanceof LookupError) {
    return new ScratchifyError('INPUT_NOT_FOUND', `${e.path}: not found in ${where} (${e.cause.message})`, {
      hint: 'give the path as it is inside the image or root, e.g. /usr/sbin/nginx',
    });
  }
  if (e.cause instanceof NotElfError && e.cause.shebang) {
    return new ScratchifyError('BAD_ELF', `${e.path}: a script for ${e.cause.shebang}, not an ELF binary`, {
      hint: `pass its interpreter (${e.cause.shebang}) as the binary and the script with --include`,
    });
  }
  const at = e.cause instanceof NotElfError ? '' : ` (at byte offset ${e.cause.offset})`;
  return new ScratchifyError('BAD_ELF', `${e.path}: ${e.cause.reason}${at} in ${where}`, { hint: 'pass an ELF executable or shared object' });
}

export interface LoadResult {
  resolver: Resolver;
  maps: LinkMap[];
}

/**
 * Loads each program as its own process; --include objects are dlopen'ed into the first program's process,
 * which is how nginx loads its modules.
 */
export function loadAll(root: Root, programs: string[], includes: string[], options: ResolveOptions = {}): LoadResult {
  const resolver = new Resolver(root, options);
  const maps: LinkMap[] = [];
  try {
    for (const p of programs) maps.push(resolver.loadProgram(p));
    for (const pattern of includes) {
      const match = expandInclude(root, pattern);
      // A single named file that is not ELF gets the error a program would.
      if (dlopenIncluded(resolver, root, maps[0], match, `--include ${pattern}`) === 0 && match.candidates.length === 1 && match.candidates[0] === pattern) {
        resolver.loadProgram(pattern);
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw inputError(e, root);
    throw e;
  }
  return { resolver, maps };
}

/**
 * Loads the ELF objects among an --include's files (a directory is searched, a glob matched) as if dlopen'ed
 * into `map`, each with `reason`; other files are left to the caller. Returns how many were ELF objects.
 */
export function dlopenIncluded(resolver: Resolver, root: Root, map: LinkMap, match: IncludeMatch, reason: string): number {
  let n = 0;
  for (const c of match.candidates) {
    if (!isElf(resolver, root, c)) continue;
    resolver.dlopen(map, c, reason);
    n++;
  }
  return n;
}

/** True when `path` in the root is an ELF file the reader accepts. */
export function isElf(resolver: Resolver, root: Root, path: string): boolean {
  try {
    resolver.elf(root.resolve(path).path);
    return true;
  } catch {
    return false;
  }
}
