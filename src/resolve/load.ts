import type { Root } from '../rootfs/root.js';
import { expandInclude, type IncludeMatch } from '../rootfs/include.js';
import { Resolver } from './resolver.js';
import type { LinkMap, ResolveOptions } from './types.js';

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
  for (const p of programs) maps.push(resolver.loadProgram(p));
  for (const pattern of includes) {
    const match = expandInclude(root, pattern);
    // A single named file that is not ELF gets the error a program would.
    if (
      dlopenIncluded(resolver, root, maps[0], match, `--include ${pattern}`) === 0 &&
      match.candidates.length === 1 &&
      match.candidates[0] === pattern
    ) {
      resolver.loadProgram(pattern);
    }
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
