import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import type { ScaffoldEntry } from './scaffold-tar.js';

/** Before any work: `dir` can be made (its parent exists and is writable) and is new, empty, or --force'd. */
export function checkBundleDir(dir: string, force: boolean, what = `--bundle ${dir}`): void {
  const parent = dirname(dir);
  try {
    accessSync(parent, constants.W_OK);
  } catch (e) {
    throw new ScratchifyError('OUTPUT_FAILED', `${what}: ${parent} does not exist or is not writable`, {
      hint: 'name a directory in a place you can write to',
      cause: e,
    });
  }
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw new ScratchifyError('OUTPUT_FAILED', `${what}: not a directory`, {
      hint: 'name a directory, or FILE.tar for an archive',
    });
  if (st && readdirSync(dir).length > 0 && !force) {
    throw new ScratchifyError('OUTPUT_FAILED', `${what}: the directory is not empty`, {
      hint: 'name a new or empty directory, or add --force to replace it',
    });
  }
}

/**
 * Writes the minimal root into `dir`, entry by entry with modes and owners (owners only as root), through a
 * temporary sibling renamed into place at the end: a failure leaves nothing half-written. An existing
 * non-empty `dir` is refused unless `force`, and then replaced whole, never mixed with old files.
 */
export function writeBundleDir(dir: string, entries: ScaffoldEntry[], force: boolean): { ownersKept: boolean } {
  checkBundleDir(dir, force);
  const tmp = `${dir}.${process.pid}.tmp`;
  const asRoot = process.getuid?.() === 0;
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  try {
    mkdirSync(tmp, { mode: 0o755 });
    const dirs: ScaffoldEntry[] = [];
    for (const e of sorted) {
      const p = join(tmp, e.path);
      mkdirSync(dirname(p), { recursive: true });
      if (e.type === 'dir') {
        mkdirSync(p, { recursive: true });
        dirs.push(e);
      } else if (e.type === 'symlink') {
        symlinkSync(e.target, p);
        if (asRoot) lchownSync(p, 0, 0);
      } else {
        writeFileSync(p, e.content);
        chmodSync(p, e.mode);
        if (asRoot) lchownSync(p, e.uid, e.gid);
      }
    }
    // Directory modes last, deepest first: a read-only directory still received its entries.
    for (const e of dirs.reverse()) {
      if (e.type !== 'dir') continue;
      const p = join(tmp, e.path);
      if (asRoot) lchownSync(p, e.uid, e.gid);
      chmodSync(p, e.mode);
    }
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof ScratchifyError) throw e;
    throw new ScratchifyError('OUTPUT_FAILED', `--bundle ${dir}: ${(e as Error).message}`, {
      hint: 'name a directory in a place you can write to',
      cause: e,
    });
  }
  return { ownersKept: asRoot };
}
