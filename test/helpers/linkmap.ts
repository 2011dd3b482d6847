import type { LinkMap } from '../../src/resolve/types.js';

/** What each DT_NEEDED name became, the first time it was asked for in load order: the path opened, or null. */
export function namesToPaths(map: LinkMap): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const o of map.objects) {
    if (o.how.kind === 'interpreter') out.set(o.path, o.path);
    for (const d of o.deps) if (!out.has(d.name)) out.set(d.name, d.object?.path ?? null);
  }
  return out;
}
