import type { ByteSource } from '../elf/source.js';
import type { Entry, FsBackend } from './backend.js';
import type { MemberTable } from './member-table.js';
import type { TarMember } from './tar-member.js';

/**
 * A filesystem known from an index of archive members (an exported image): lookups and listings from the index,
 * file bytes from wherever the subclass keeps them.
 */
export abstract class IndexedBackend implements FsBackend {
  constructor(
    readonly description: string,
    protected readonly members: MemberTable,
  ) {}

  /** The member holding the data, and its path: a hard link points at another member (bounded, in case of a cycle). */
  protected data(path: string): { path: string; member: TarMember } | undefined {
    let p = path;
    let m = this.members.get(p);
    for (let i = 0; m?.hardlink && i < 40; i++) {
      p = m.link!;
      m = this.members.get(p);
    }
    return m && !m.hardlink ? { path: p, member: m } : undefined;
  }

  lstat(path: string): Entry | undefined {
    const m = this.members.get(path);
    if (!m) return undefined;
    const d = m.hardlink ? this.data(path)?.member : m;
    return { type: m.type, size: d?.size ?? 0, mode: m.mode, uid: m.uid, gid: m.gid };
  }

  readlink(path: string): string {
    return this.members.get(path)?.link ?? '';
  }

  readdir(path: string): string[] {
    return [...(this.members.children(path) ?? [])];
  }

  abstract open(path: string, size?: number): ByteSource;
}
