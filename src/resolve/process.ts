import type { How, LinkMap, LoadedObject, Tried } from './types.js';

/**
 * Shared, frozen values for what most of the thousands of objects and dependencies in a run carry: fewer
 * objects kept alive means less for the garbage collector to copy (it was a fifth of resolving 1,000 programs).
 */
export const HOW = {
  program: Object.freeze<How>({ kind: 'program' }),
  interpreter: Object.freeze<How>({ kind: 'interpreter' }),
  include: Object.freeze<How>({ kind: 'include' }),
  path: Object.freeze<How>({ kind: 'path' }),
  ldLibraryPath: Object.freeze<How>({ kind: 'ld_library_path' }),
  cache: Object.freeze<How>({ kind: 'ld.so.cache' }),
  default: Object.freeze<How>({ kind: 'default' }),
  muslPath: Object.freeze<How>({ kind: 'musl-path' }),
};
export const NOTHING_TRIED = Object.freeze([]) as unknown as Tried[];

/** Per-process state: what is loaded, under which names, and where this process's loader looks by default. */
export interface Process {
  map: LinkMap;
  byReal: Map<string, LoadedObject>;
  byName: Map<string, LoadedObject>;
  defaults: string[];
  /** Legacy hwcap subdirectories this process's loader searches in every directory (glibc up to 2.36). */
  legacy: readonly string[];
  musl?: { interp: LoadedObject; path: string[] };
}
