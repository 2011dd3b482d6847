import type { LinkMap, LoadedObject } from './types.js';

export interface RootSize {
  root: string;
  /** Bytes of objects only this root brings in (the root itself included). */
  alone: number;
  /** Bytes of objects it shares with at least one other root. */
  shared: number;
  objects: number;
}

/**
 * What each root (a program, each dlopen'ed module or --include) costs: the bytes of the objects reachable
 * only from it, and those it shares. A module that drags in tens of MB of codecs shows up here.
 */
export function sizeAttribution(maps: LinkMap[]): RootSize[] {
  const roots = maps.flatMap((m) => m.objects.filter((o) => o.how.kind === 'program' || o.how.kind === 'include'));
  const reach = new Map<LoadedObject, Set<string>>();
  const owners = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const r of roots) {
    const seen = new Set<string>();
    const queue = [r];
    while (queue.length) {
      const o = queue.pop()!;
      if (seen.has(o.real)) continue;
      seen.add(o.real);
      sizes.set(o.real, o.size);
      for (const d of o.deps) if (d.object) queue.push(d.object);
    }
    reach.set(r, seen);
    for (const p of seen) owners.set(p, (owners.get(p) ?? 0) + 1);
  }
  return roots.map((r) => {
    let alone = 0;
    let shared = 0;
    for (const p of reach.get(r)!) {
      if (owners.get(p) === 1) alone += sizes.get(p)!;
      else shared += sizes.get(p)!;
    }
    return { root: r.path, alone, shared, objects: reach.get(r)!.size };
  });
}

export function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}
