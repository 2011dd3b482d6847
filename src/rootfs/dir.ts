import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource } from '../elf/source.js';
import { ScratchifyError } from '../errors.js';
import type { Entry, EntryType, FsBackend } from './backend.js';

/** A file or directory of the root this process may not read: the root is at fault, so it is ROOT_UNREADABLE. */
function denied(e: unknown, what: string, path: string, description: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM') return e;
  return new ScratchifyError('ROOT_UNREADABLE', `${path}: cannot ${what} in ${description} (permission denied)`, {
    hint: 'run as a user who can read the whole root, or fix its permissions',
    cause: e,
  });
}

/** A host directory used as `/`. Root has already resolved every link, so paths here never leave `dir`. */
export class DirBackend implements FsBackend {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = dir === '/' ? 'the host root /' : `directory ${dir}`;
  }

  private host(path: string): string {
    return this.dir === '/' ? path : join(this.dir, path);
  }

  lstat(path: string): Entry | undefined {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(this.host(path), { throwIfNoEntry: false });
    } catch (e) {
      throw denied(e, 'look it up', path, this.description);
    }
    if (!st) return undefined;
    const type: EntryType = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
    return { type, size: st.size, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  }

  readlink(path: string): string {
    return readlinkSync(this.host(path));
  }

  readonly undecodable = new Map<string, string[]>();

  readdir(path: string): string[] {
    let raw: Buffer[];
    try {
      raw = readdirSync(this.host(path), { encoding: 'buffer' });
    } catch (e) {
      throw denied(e, 'list it', path, this.description);
    }
    const out: string[] = [];
    for (const b of raw) {
      const name = b.toString('utf8');
      if (Buffer.from(name, 'utf8').equals(b)) out.push(name);
      else {
        // Such a name cannot be looked up again as a string, nor written in a Dockerfile: report it instead.
        const list = this.undecodable.get(path) ?? [];
        list.push(JSON.stringify(b.toString('latin1')));
        this.undecodable.set(path, list);
      }
    }
    return out;
  }

  open(path: string, size?: number): FileSource {
    // O_NOFOLLOW: the last component was checked to be a regular file; refuse if it was swapped for a link.
    // A file that changed size since lstat reads short, which the ELF reader reports as truncated.
    try {
      return FileSource.open(this.host(path), true, size);
    } catch (e) {
      throw denied(e, 'read it', path, this.description);
    }
  }
}
