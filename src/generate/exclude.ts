import picomatch from 'picomatch';
import { ScratchifyError } from '../errors.js';
import type { Additions } from '../additions.js';
import type { LinkMap } from '../resolve/types.js';
import { whyChains } from '../resolve/why.js';
import type { Root } from '../rootfs/root.js';

export type Excluded = (path: string) => boolean;

/** One test for every --exclude glob, on a path as named and as it resolves in the root. */
export function excluder(root: Root, patterns: readonly string[]): Excluded | undefined {
  if (patterns.length === 0) return undefined;
  const tests = patterns.map((p) => picomatch(p, { dot: true }));
  const hit = (p: string) => tests.some((t) => t(p));
  return (path) => hit(path) || (root.lookup(path) !== undefined && hit(root.lookup(path)!.path));
}

/**
 * A source's additions without what --exclude leaves out. An object left out that nginx loads by a load_module
 * line is refused unless the file with that line is left out too: nginx would not start with a line naming a
 * module the image lacks.
 */
export function withoutExcluded(adds: Additions, excluded: Excluded | undefined, patterns: readonly string[]): Additions {
  if (!excluded) return adds;
  for (const m of adds.dlopen) {
    if (!excluded(m.path)) continue;
    const line = /load_module in (\S+):(\d+)/.exec(m.reason);
    if (line && !excluded(line[1]))
      throw new ScratchifyError(
        'USAGE',
        `--exclude ${patterns.join(' ')}: nginx loads ${m.path} (load_module in ${line[1]}:${line[2]}) and would not start without it`,
        {
          hint: `leave out the file with that line too: --exclude ${line[1]}`,
        },
      );
  }
  return { ...adds, copy: adds.copy.filter((c) => !excluded(c.path)), dlopen: adds.dlopen.filter((m) => !excluded(m.path)) };
}

/** An object the loader needs cannot be left out: the program would not start. Refused with the chain that needs it. */
export function checkExcludedObjects(maps: LinkMap[], excluded: Excluded | undefined, patterns: readonly string[]): void {
  if (!excluded) return;
  for (const m of maps) {
    for (const o of m.objects) {
      if (!excluded(o.path) && !excluded(o.real)) continue;
      const chain = whyChains(maps, o.real).chains[0] ?? [o.path];
      throw new ScratchifyError('USAGE', `--exclude ${patterns.join(' ')}: the loader needs ${o.path}: ${chain.join(' -> ')}`, {
        hint: 'exclude what needs it instead (a module, an --include), or leave this one in',
      });
    }
  }
}
