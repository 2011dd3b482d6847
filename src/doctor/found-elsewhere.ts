import { posix } from 'node:path';
import { normalize, type Root } from '../rootfs/root.js';
import type { Tried } from '../resolve/types.js';
import type { Diagnosis, Problem } from './diagnose.js';
import { type Candidate, findElsewhere } from './elsewhere.js';

/** A file the target already has, put where the loader looks: `from` and `to` are both paths in the target. */
export interface Placement {
  from: string;
  to: string;
}

/** What the target itself holds that would answer a problem, and the changes that make the loader take it. */
export interface InTargetFix {
  problem: Problem;
  found: Candidate[];
  /** The first candidate copied to the first path the loader tries (or the interpreter's path). */
  place?: Placement;
  /** LD_LIBRARY_PATH that makes the loader find the candidate where it is (a file of the right name only). */
  libraryPath?: string;
  /** The search-path entry that would find it, in place of the one the object has. */
  runpath?: { owner: string; kind: 'DT_RUNPATH' | 'DT_RPATH'; was: string; now: string };
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';

/** The path the kernel opens for `path` ($ORIGIN/../lib: the directory's links followed, then ".."). */
export function asOpened(root: Root, path: string): string {
  const dir = root.lookup(dirOf(path))?.path ?? normalize(dirOf(path));
  return `${dir === '/' ? '' : dir}/${posix.basename(path)}`;
}

/** The path a library is best put at: the first one tried that is missing, outside glibc-hwcaps. */
function destination(tried: Tried[]): Tried | undefined {
  return tried.find((t) => t.why === 'missing' && !t.path.includes('/glibc-hwcaps/'));
}

/**
 * For each fatal problem the target could solve itself (a library on a directory no rule searches, installed
 * without its SONAME link, a 64-bit one beside the 32-bit one found first, the interpreter under another path),
 * the candidates and the ways to make the loader take them.
 */
export function fixesInTarget(d: Diagnosis, target: Root): InTargetFix[] {
  const out: InTargetFix[] = [];
  for (const p of d.problems) {
    if (!p.fatal) continue;
    if (p.kind === 'interpreter-missing' || p.kind === 'libc-mismatch') {
      const found = findElsewhere(target, posix.basename(p.name), d.map.program.elf);
      if (found.length > 0) out.push({ problem: p, found, place: { from: found[0].path, to: p.name } });
      continue;
    }
    if (p.kind !== 'not-found' && p.kind !== 'wrong-class') continue;
    const needing = d.map.objects.find((o) => o.path === p.chain[p.chain.length - 2]) ?? d.map.program;
    const found = findElsewhere(target, p.name, needing.elf);
    if (found.length === 0) continue;
    const fix: InTargetFix = { problem: p, found };
    const dest = destination(p.tried);
    if (dest) fix.place = { from: found[0].path, to: asOpened(target, dest.path) };
    const byName = found.find((c) => c.by === 'name');
    if (byName) fix.libraryPath = dirOf(byName.path);
    const how = dest?.how;
    if (byName && how?.owner && how.entry?.startsWith('$ORIGIN') && (how.kind === 'runpath' || how.kind === 'rpath')) {
      const owner = d.map.objects.find((o) => o.path === how.owner);
      const origin = dirOf(owner?.how.kind === 'program' ? owner.real : how.owner);
      const rel = posix.relative(origin, dirOf(byName.path));
      fix.runpath = {
        owner: how.owner,
        kind: how.kind === 'runpath' ? 'DT_RUNPATH' : 'DT_RPATH',
        was: how.entry,
        now: rel ? `$ORIGIN/${rel}` : '$ORIGIN',
      };
    }
    out.push(fix);
  }
  return out;
}
