import { statSync, accessSync, constants } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { DirBackend } from './dir.js';
import { Root } from './root.js';

/** A host directory as a Root, or a clear error naming it. */
export function openDirRoot(dir: string): Root {
  const abs = resolvePath(dir);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st)
    throw new ScratchifyError('ROOT_UNREADABLE', `--root ${dir}: no such directory`, {
      hint: 'pass an unpacked root filesystem, or --base IMAGE',
    });
  if (!st.isDirectory())
    throw new ScratchifyError('ROOT_UNREADABLE', `--root ${dir}: not a directory`, {
      hint: 'unpack the tarball first (tar -xf), or use --base IMAGE',
    });
  try {
    accessSync(abs, constants.R_OK | constants.X_OK);
  } catch (e) {
    throw new ScratchifyError('ROOT_UNREADABLE', `--root ${dir}: not readable`, { hint: 'run as a user who can read it', cause: e });
  }
  return new Root(new DirBackend(abs));
}
