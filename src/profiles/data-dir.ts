import { treeBytes } from '../rootfs/include.js';
import type { Root } from '../rootfs/root.js';
import type { ProfileResult } from './types.js';

/** A data directory baked into the base is carried up to this size; past it, a volume is the place for it. */
const MAX_DATA_DIR_BYTES = 512 << 20;

/**
 * A database's data directory, as the base has it: the program's state (a volume in a hardened run), carried
 * whole up to a bound (a named volume mounted there is seeded from it), else a warning that says to mount one.
 */
export function carryDataDirectory(root: Root, dir: string | undefined, out: ProfileResult): void {
  if (!dir || !root.isDir(dir)) return;
  out.state = [dir];
  // A database refuses a data directory another user owns (PostgreSQL: "wrong ownership"): it runs as its owner.
  const owner = root.lookup(dir)?.entry.uid;
  if (owner !== undefined && owner !== 0) out.runsAs = { uid: owner, why: `it owns the data directory ${dir}` };
  if (treeBytes(root, dir, MAX_DATA_DIR_BYTES) <= MAX_DATA_DIR_BYTES)
    out.trees.push({ path: dir, reason: 'the data directory, as the base has it (a volume there is seeded from it)' });
  else out.warnings.push(`${dir} holds over ${MAX_DATA_DIR_BYTES >> 20} MiB: not copied; mount the data directory as a volume`);
}
