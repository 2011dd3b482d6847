import { type TarEntry, writeTar } from '../rootfs/tar-write.js';

/** One entry of the scaffold tarball that `ADD` unpacks first in the scratch stage. */
export type ScaffoldEntry = TarEntry;

/**
 * The scaffold archive: deterministic (mtime 0, sorted, numeric owners), so the same input always gives the same
 * bytes. BuildKit's ADD unpacks it keeping modes (a 1777 /tmp), owners and symlinks, which COPY cannot create.
 */
export function writeScaffoldTar(entries: ScaffoldEntry[]): Buffer {
  return writeTar(entries);
}
