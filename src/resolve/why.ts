import type { LinkMap, LoadedObject } from '../resolve/types.js';

/** Bound on chains listed, since a library deep in a wide graph can be reached in very many ways. */
export const MAX_CHAINS = 200;

function matches(o: LoadedObject, lib: string): boolean {
  if (lib.includes('/')) return o.path === lib || o.real === lib;
  return o.name === lib || o.elf.soname === lib || o.real.endsWith(`/${lib}`) || o.path.endsWith(`/${lib}`);
}

/**
 * Every chain of DT_NEEDED edges from each program (and each object it dlopens) to the library `lib`,
 * like `apt why` for libraries. Each chain is a list of names, program first.
 */
export function whyChains(maps: LinkMap[], lib: string): { chains: string[][]; missing: string[][]; truncated: boolean } {
  const chains: string[][] = [];
  // Chains that end at the library unfound: in a broken image, who needs what is not there.
  const missing: string[][] = [];
  let truncated = false;
  const walk = (o: LoadedObject, path: string[], onPath: Set<LoadedObject>) => {
    if (chains.length >= MAX_CHAINS) {
      truncated = true;
      return;
    }
    if (matches(o, lib) && path.length > 1) {
      chains.push(path);
      return;
    }
    for (const d of o.deps) {
      if (!d.object && (d.name === lib || d.name.endsWith(`/${lib}`)) && missing.length < MAX_CHAINS) missing.push([...path, d.name]);
      if (!d.object || onPath.has(d.object)) continue;
      onPath.add(d.object);
      walk(d.object, [...path, d.name], onPath);
      onPath.delete(d.object);
    }
  };
  for (const m of maps) {
    for (const start of m.objects.filter((o) => o.how.kind === 'program' || o.how.kind === 'include')) {
      walk(start, [start.path], new Set([start]));
    }
  }
  return { chains, missing, truncated };
}
