import { ScratchifyError } from '../errors.js';
import { globInRoot } from './glob.js';
import type { Root } from './root.js';

/** A directory included whole is searched for ELF objects to this many entries, and no deeper than this. */
const MAX_TREE_ENTRIES = 200_000;
const MAX_TREE_DEPTH = 64;

export interface IncludeMatch {
  /** What to copy: files, and directories copied whole. */
  paths: string[];
  /** Files among them (inside directories too) to check for ELF objects to resolve. */
  candidates: string[];
}

/** Regular files under `dir` (links are not followed), bounded in count and depth. */
export function walkFiles(root: Root, dir: string, out: string[], depth = 0, links?: string[]): void {
  if (depth > MAX_TREE_DEPTH) return;
  for (const name of root.readdir(dir)) {
    const p = `${dir}/${name}`;
    const e = root.lstat(`${root.resolve(dir).path}/${name}`);
    // Links inside a copied tree are copied as links: listed apart, by their real directory, when asked for.
    if (e?.type === 'symlink' && links && links.length < MAX_TREE_ENTRIES) links.push(`${root.resolve(dir).path}/${name}`);
    if (!e || e.type === 'symlink') continue;
    if (out.length >= MAX_TREE_ENTRIES) {
      throw new ScratchifyError('USAGE', `--include ${dir}: more than ${MAX_TREE_ENTRIES} files`, { hint: 'include narrower directories' });
    }
    if (e.type === 'dir') walkFiles(root, p, out, depth + 1, links);
    else if (e.type === 'file') out.push(p);
  }
}

/**
 * The bytes of the regular files under `dir` (links not followed), counted until they pass `limit`: the answer
 * is then some number above it, found without walking a whole /usr.
 */
export function treeBytes(root: Root, dir: string, limit: number): number {
  let total = 0;
  const walk = (d: string, depth: number): void => {
    if (depth > MAX_TREE_DEPTH || total > limit) return;
    for (const name of root.readdir(d)) {
      const e = root.lstat(`${root.resolve(d).path}/${name}`);
      if (e?.type === 'dir') walk(`${d}/${name}`, depth + 1);
      else if (e?.type === 'file') total += e.size;
      if (total > limit) return;
    }
  };
  walk(dir, 0);
  return total;
}

/**
 * Expands one --include: a directory (copied whole), a file, or a glob inside the root. A path that exists is
 * taken as it is, so names holding glob characters (`/usr/bin/[`) need no escaping.
 */
export function expandInclude(root: Root, pattern: string): IncludeMatch {
  const found = root.lookup(pattern);
  if (found?.entry.type === 'file') return { paths: [pattern], candidates: [pattern] };
  if (found?.entry.type === 'dir') {
    const files: string[] = [];
    walkFiles(root, pattern.replace(/\/+$/, '') || '/', files, 0);
    return { paths: [pattern], candidates: files };
  }
  const matches = globInRoot(root, pattern);
  if (matches.length === 0) {
    throw new ScratchifyError('INPUT_NOT_FOUND', `--include ${pattern}: nothing matches in ${root.description}`, {
      hint: 'check the path inside the image',
    });
  }
  return { paths: matches, candidates: matches };
}
