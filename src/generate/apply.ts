import type { Additions, Because } from '../additions.js';
import { isElf } from '../resolve/load.js';
import type { Resolver } from '../resolve/resolver.js';
import type { LinkMap } from '../resolve/types.js';
import type { Plan } from './plan.js';

/** Where what the sources add is said: notes and warnings for the person, details for --verbose. */
export interface Said {
  notes: string[];
  warnings: string[];
  details: string[];
}

/**
 * Applies one source's additions to the plan, each entry with its reason: copies, directories (the base's mode
 * and owner unless the source says otherwise), objects loaded as if dlopen'ed (resolved with everything they
 * need), written and carried files, links. What the source says goes into `said`.
 */
export function apply(adds: Additions, plan: Plan, resolver: Resolver, main: LinkMap, said: Said): void {
  const { root } = plan;
  for (const c of adds.copy) plan.add(c.path, c.reason);
  for (const d of adds.dirs) {
    const e = root.lookup(d.path)?.entry;
    const own = e?.type === 'dir' ? e : undefined;
    plan.addDir(d.path, d.mode ?? (own ? own.mode & 0o7777 : 0o755), d.uid ?? own?.uid ?? 0, d.gid ?? own?.gid ?? 0, d.reason, d.writable);
  }
  const objects: Because[] = adds.dlopen.filter((m) => !m.ifElf || isElf(resolver, root, m.path));
  if (adds.together) resolver.dlopenAll(main, objects);
  else for (const m of objects) resolver.dlopen(main, m.path, m.reason);
  for (const g of adds.generated) plan.generate(g.path, g.content, g.reason);
  for (const c of adds.carried) plan.carry(c.path, c.reason);
  for (const l of adds.links) plan.links.set(l.path, l.target);
  said.notes.push(...adds.notes);
  said.warnings.push(...adds.warnings);
  said.details.push(...adds.details);
}
