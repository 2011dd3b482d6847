import type { ByteSource } from '../elf/source.js';
import type { Entry, FsBackend } from './backend.js';
import type { TarIndex, TarMember } from './tar.js';

/**
 * A filesystem known from an index of archive members (an exported image): lookups and listings from the index,
 * file bytes from wherever the subclass keeps them.
 */
export abstract class IndexedBackend implements FsBackend {
  private readonly children = new Map<string, string[]>();

  constructor(
    readonly description: string,
    protected readonly index: TarIndex,
  ) {
    for (const p of Object.keys(index)) {
      if (p === '/') continue;
      const parent = this.listIn(p);
      // Archives may omit a parent directory's own header; it still exists.
      for (let q = parent; q !== '/' && !index[q]; q = this.listIn(q)) {
        index[q] = { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, offset: 0 };
      }
    }
  }

  /** Lists `path` under its parent directory, and returns the parent. */
  private listIn(path: string): string {
    const slash = path.lastIndexOf('/');
    const parent = slash === 0 ? '/' : path.slice(0, slash);
    let list = this.children.get(parent);
    if (!list) this.children.set(parent, (list = []));
    list.push(path.slice(slash + 1));
    return parent;
  }

  /** The member holding the data, and its path: a hard link points at another member (bounded, in case of a cycle). */
  protected data(path: string): { path: string; member: TarMember } | undefined {
    let p = path;
    let m = this.index[p];
    for (let i = 0; m?.hardlink && i < 40; i++) {
      p = m.link!;
      m = this.index[p];
    }
    return m && !m.hardlink ? { path: p, member: m } : undefined;
  }

  lstat(path: string): Entry | undefined {
    const m = this.index[path];
    if (!m) return undefined;
    const d = m.hardlink ? this.data(path)?.member : m;
    return { type: m.type, size: d?.size ?? 0, mode: m.mode, uid: m.uid, gid: m.gid };
  }

  readlink(path: string): string {
    return this.index[path]?.link ?? '';
  }

  readdir(path: string): string[] {
    return [...(this.children.get(path) ?? [])];
  }

  abstract open(path: string, size?: number): ByteSource;
}
