import type { RunResult } from '../engine/run.js';
import type { TracedPath } from '../engine/strace-log.js';
import { parentOf } from '../generate/plan.js';
import type { Root } from '../rootfs/root.js';

export interface SmokeOutcome {
  smoke: string;
  pass: boolean;
  /** What differed, in words: exit status, standard output, standard error. */
  differences: string[];
  base: RunResult;
  scratch: RunResult;
}

/** Compares one smoke command's runs: exit status and standard output, and standard error when asked. */
export function compareRuns(smoke: string, base: RunResult, scratch: RunResult, compareStderr: boolean): SmokeOutcome {
  const differences: string[] = [];
  if (scratch.timedOut) differences.push('the scratch run did not finish in time');
  if (base.exitCode !== scratch.exitCode) differences.push(`exit status ${scratch.exitCode}, the base's ${base.exitCode}`);
  if (base.stdout !== scratch.stdout) differences.push(`standard output differs (${firstDifference(base.stdout, scratch.stdout)})`);
  if (compareStderr && base.stderr !== scratch.stderr)
    differences.push(`standard error differs (${firstDifference(base.stderr, scratch.stderr)})`);
  return { smoke, pass: differences.length === 0, differences, base, scratch };
}

function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `line ${i + 1}: base ${JSON.stringify(cut(al[i]))}, scratch ${JSON.stringify(cut(bl[i]))}`;
  }
  return 'whitespace';
}

const cut = (s: string | undefined) => (s === undefined ? '(nothing)' : s.length > 120 ? `${s.slice(0, 117)}...` : s);

export interface MissingPath extends TracedPath {
  /** How to add it: the generate flag or what the scaffold does. */
  fix: string;
  /** For a directory the base's run wrote into: the name it created there. */
  created?: string;
}

/**
 * What the base run used that the scratch run did not have: paths the base run used successfully, that the
 * base image holds, and that neither the scratch run used nor the scratch image holds (a run that fails early
 * never reaches what comes after). What the base run created or wrote is its own state and never missing; the
 * directory it was created in is, when the base has it and the scratch image lacks it (a socket directory, a
 * temp path's parent): the scratch run's own attempt failed there, and so left no trace.
 */
export function missingPaths(baseRun: TracedPath[], scratchRun: TracedPath[], base: Root, scratch: Root): MissingPath[] {
  const had = new Set(scratchRun.map((p) => p.path));
  const out = new Map<string, MissingPath>();
  const lacks = (path: string) => !had.has(path) && path !== '/' && !out.has(path) && !scratch.lookup(path);
  for (const p of baseRun) {
    if (p.use === 'written') {
      const dir = parentOf(p.path);
      if (lacks(dir) && base.lookup(dir)?.entry.type === 'dir')
        out.set(dir, {
          path: dir,
          use: 'dir',
          created: p.path.slice(dir.length + 1),
          fix: `directory the service writes into: the base's run created ${p.path.slice(dir.length + 1)} there (--fix or --trace-service creates it with the base's mode and owner)`,
        });
      continue;
    }
    if (!lacks(p.path)) continue;
    const r = base.lookup(p.path);
    if (!r) continue;
    if (r.entry.type === 'dir')
      out.set(p.path, { ...p, use: 'dir', fix: `directory (created by --trace of this command, or --include ${p.path} for all of it)` });
    else if (r.entry.type === 'file') out.set(p.path, { ...p, fix: `--include ${p.path}` });
  }
  return [...out.values()];
}

/** Beyond this many paths under one directory, they are reported, and added by --fix, as that directory. */
export const COLLAPSE_AT = 8;

/**
 * Paths grouped by the directory three levels down (`/usr/share/zoneinfo`), in first-seen order: many under
 * one directory (tzdata, a plugin directory) read better, and copy cheaper, as the directory.
 */
export function groupUnder<T extends { path: string }>(paths: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const p of paths) {
    const key = p.path.split('/').slice(0, 4).join('/');
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  return groups;
}
