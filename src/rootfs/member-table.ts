import type { EntryType } from './backend.js';
import type { TarIndex, TarMember } from './tar-member.js';

/**
 * An index's members as columns, the form an image's cache keeps them in: a warm run reads the index of thousands
 * of files and looks at a few hundred, and parsing one object per member was a large part of its time; arrays of
 * numbers parse in a fraction of that, and a member is made only when it is looked up (docs/performance.md). Member n is paths[n]; its kept ranges are
 * keep[keepAt[n]] up to keep[keepAt[n + 1]].
 */
export interface MemberColumns {
  paths: string[];
  /** One letter per member: f(ile), d(ir), l(ink), o(ther). */
  types: string;
  mode: number[];
  uid: number[];
  gid: number[];
  size: number[];
  offset: number[];
  /** Link targets by member number: a symlink's as stored, a hard link's member path. */
  links: Record<string, string>;
  hardlinks: number[];
  keepAt: number[];
  keep: number[];
}

const CODE: Record<EntryType, string> = { file: 'f', dir: 'd', symlink: 'l', other: 'o' };
const TYPE: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink', o: 'other' };

/** The members of an archive by path, every directory above a member among them, and each directory's entries. */
export class MemberTable {
  private readonly byPath = new Map<string, number>();
  private kids?: Map<string, string[]>;
  private hard?: Set<number>;

  private constructor(
    private readonly paths: string[],
    private readonly made: (TarMember | undefined)[],
    private readonly columns?: MemberColumns,
  ) {
    for (let n = 0; n < paths.length; n++) this.byPath.set(paths[n], n);
  }

  /** From an archive's index; a directory the archive has no header for (some omit them) still exists. */
  static fromIndex(index: TarIndex): MemberTable {
    const { paths, made } = completed(index);
    return new MemberTable(paths, made);
  }

  /** An archive's index as columns (the directories it omits added), without the lookup table a reader needs. */
  static columnsOf(index: TarIndex): MemberColumns {
    const { paths, made } = completed(index);
    return columns(paths, made);
  }

  /** From columns that columnsOf wrote; undefined when they do not fit together (a damaged cache). */
  static fromColumns(c: MemberColumns): MemberTable | undefined {
    return MemberTable.columnsFit(c) ? new MemberTable(c.paths, new Array(c.paths.length), c) : undefined;
  }

  /** True when columns have the shape columnsOf gives them. */
  static columnsFit(c: MemberColumns): boolean {
    if (!c || typeof c !== 'object' || !Array.isArray(c.paths)) return false;
    const n = c.paths.length;
    return (
      typeof c.types === 'string' &&
      c.types.length === n &&
      [c.mode, c.uid, c.gid, c.size, c.offset].every((a) => Array.isArray(a) && a.length === n) &&
      Array.isArray(c.keepAt) &&
      c.keepAt.length === n + 1 &&
      Array.isArray(c.keep) &&
      c.keepAt[n] === c.keep.length &&
      Array.isArray(c.hardlinks) &&
      typeof c.links === 'object' &&
      c.links !== null
    );
  }

  get(path: string): TarMember | undefined {
    const n = this.byPath.get(path);
    return n === undefined ? undefined : this.member(n);
  }

  /** The names in directory `path`, in index order; undefined for a path with none. */
  children(path: string): readonly string[] | undefined {
    if (!this.kids) {
      this.kids = new Map();
      for (const p of this.paths) {
        if (p === '/') continue;
        const slash = p.lastIndexOf('/');
        const parent = slash === 0 ? '/' : p.slice(0, slash);
        let list = this.kids.get(parent);
        if (!list) this.kids.set(parent, (list = []));
        list.push(p.slice(slash + 1));
      }
    }
    return this.kids.get(path);
  }

  private member(n: number): TarMember {
    let m = this.made[n];
    if (m) return m;
    const c = this.columns!;
    m = { type: TYPE[c.types[n]] ?? 'other', mode: c.mode[n], uid: c.uid[n], gid: c.gid[n], size: c.size[n], offset: c.offset[n] };
    const link = c.links[n];
    if (link !== undefined) m.link = link;
    this.hard ??= new Set(c.hardlinks);
    if (this.hard.has(n)) m.hardlink = true;
    if (c.keepAt[n + 1] > c.keepAt[n]) m.keep = c.keep.slice(c.keepAt[n], c.keepAt[n + 1]);
    this.made[n] = m;
    return m;
  }
}

/** The index's members in its order, then the directories it names no header for. */
function completed(index: TarIndex): { paths: string[]; made: TarMember[] } {
  const paths = Object.keys(index);
  const made = paths.map((p) => index[p]);
  const implied = new Set<string>();
  const count = paths.length;
  for (let n = 0; n < count; n++) {
    for (let q = parentOf(paths[n]); q !== '/' && index[q] === undefined && !implied.has(q); q = parentOf(q)) {
      implied.add(q);
      paths.push(q);
      made.push({ type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, offset: 0 });
    }
  }
  return { paths, made };
}

function columns(paths: string[], made: readonly TarMember[]): MemberColumns {
  const c: MemberColumns = {
    paths,
    types: '',
    mode: [],
    uid: [],
    gid: [],
    size: [],
    offset: [],
    links: {},
    hardlinks: [],
    keepAt: [],
    keep: [],
  };
  const types: string[] = [];
  for (let n = 0; n < paths.length; n++) {
    const m = made[n];
    types.push(CODE[m.type]);
    c.mode.push(m.mode);
    c.uid.push(m.uid);
    c.gid.push(m.gid);
    c.size.push(m.size);
    c.offset.push(m.offset);
    if (m.link !== undefined) c.links[n] = m.link;
    if (m.hardlink) c.hardlinks.push(n);
    c.keepAt.push(c.keep.length);
    if (m.keep) for (const k of m.keep) c.keep.push(k);
  }
  c.keepAt.push(c.keep.length);
  c.types = types.join('');
  return c;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
