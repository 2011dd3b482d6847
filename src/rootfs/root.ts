import { createHash } from 'node:crypto';
import { parseElf, type ElfFile, type ParseOptions } from '../elf/file.js';
import type { Entry, FsBackend } from './backend.js';

/** The kernel's limit on symlinks followed in one lookup (MAXSYMLINKS). */
export const MAX_LINKS = 40;

/** Longer paths are walked from the top, so the walk's recursion through parent directories stays shallow. */
const MAX_SEEDED_PATH = 1024;

export type LookupCode = 'ENOENT' | 'ENOTDIR' | 'ELOOP';

export class LookupError extends Error {
  constructor(
    readonly code: LookupCode,
    readonly path: string,
    readonly at: string,
  ) {
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a directory'
          : `has more than ${MAX_LINKS} levels of symbolic links`;
    super(`${path}: ${at === path ? '' : `${at} `}${why}`);
    this.name = 'LookupError';
  }
}

/** One symlink followed on the way from a name to the file: the link's path and its target as written. */
export interface LinkHop {
  link: string;
  target: string;
}

/** A failed lookup as cached: the LookupError is made only when one is thrown (an Error records a stack). */
interface Failure {
  code: LookupCode;
  path: string;
  at: string;
}

export interface Resolved {
  /** The path with every symlink resolved inside the root. */
  path: string;
  entry: Entry;
  /** The links followed, in order. */
  hops: LinkHop[];
}

/**
 * A filesystem tree seen as `/`: every lookup resolves symlinks inside the tree, an absolute link target
 * means the tree's own `/`, and `..` stops at the top, so nothing outside is ever reached.
 */
export class Root {
  private readonly lstats = new Map<string, Entry | null>();
  private readonly links = new Map<string, string>();
  private readonly resolved = new Map<string, Resolved | Failure>();

  /** Bytes read from ELF files, for resolve's statistics. */
  bytesRead = 0;

  constructor(readonly backend: FsBackend) {}

  get description(): string {
    return this.backend.description;
  }

  lstat(path: string): Entry | undefined {
    let e = this.lstats.get(path);
    if (e === undefined) {
      e = this.backend.lstat(path) ?? null;
      this.lstats.set(path, e);
    }
    return e ?? undefined;
  }

  /** The target of the symlink at `path` (a real path: no links in its parents), as stored. */
  linkTarget(path: string): string {
    return this.readlink(path);
  }

  private readlink(path: string): string {
    let t = this.links.get(path);
    if (t === undefined) {
      t = this.backend.readlink(path);
      this.links.set(path, t);
    }
    return t;
  }

  /** Resolves `path` (the last component too, unless `followLast` is false); throws LookupError. */
  resolve(path: string, followLast = true): Resolved {
    const r = this.cachedWalk(path, followLast);
    if ('code' in r) throw new LookupError(r.code, r.path, r.at);
    return r;
  }

  /** Like resolve, but a missing file (or a dangling or looping link) is `undefined`. */
  lookup(path: string, followLast = true): Resolved | undefined {
    // No throw and catch here: searches look up thousands of paths that do not exist.
    const r = this.cachedWalk(path, followLast);
    return 'code' in r ? undefined : r;
  }

  private cachedWalk(path: string, followLast: boolean): Resolved | Failure {
    const key = followLast ? path : `\0${path}`;
    let r = this.resolved.get(key);
    if (r === undefined) {
      r = this.walk(path, followLast);
      this.resolved.set(key, r);
    }
    return r;
  }

  private walk(path: string, followLast: boolean): Resolved | Failure {
    // A name in a directory already resolved starts from that directory: searches and listings look up thousands
    // of names in a few directories, and walking each from the top cost a string and a map lookup per component.
    // The directory's own resolution is cached like any other, so the walk below gives the same result and the
    // same error. Only plain last components, and bounded depth: this recurses once per component.
    const slash = path.lastIndexOf('/');
    if (slash > 0 && slash < MAX_SEEDED_PATH) {
      const last = path.slice(slash + 1);
      if (last !== '' && last !== '.' && last !== '..') {
        const dir = this.cachedWalk(path.slice(0, slash), true);
        if ('code' in dir) return { code: dir.code, path, at: dir.at };
        if (dir.entry.type !== 'dir') return { code: 'ENOTDIR', path, at: dir.path };
        const hops = dir.hops.length > 0 ? [...dir.hops] : [];
        return this.walkFrom(path, [last], dir.path === '/' ? '' : dir.path, dir.entry, hops, followLast);
      }
    }
    // Components still to walk, the next one last; '' and '.' never enter, so an empty list means the
    // component at hand is the last.
    const todo: string[] = [];
    pushComponents(todo, path);
    return this.walkFrom(path, todo, '', this.lstat('/')!, [], followLast);
  }

  /** Walks `todo` from `cur` (the real path so far, '' for the top), having followed `hops` already. */
  private walkFrom(path: string, todo: string[], cur: string, entry: Entry, hops: LinkHop[], followLast: boolean): Resolved | Failure {
    let followed = hops.length;
    while (todo.length > 0) {
      const c = todo.pop()!;
      if (c === '..') {
        cur = cur.slice(0, cur.lastIndexOf('/'));
        entry = this.lstat(cur || '/')!;
        continue;
      }
      const p = `${cur}/${c}`;
      const e = this.lstat(p);
      if (!e) return { code: 'ENOENT', path, at: p };
      const last = todo.length === 0;
      if (e.type === 'symlink' && (!last || followLast)) {
        if (++followed > MAX_LINKS) return { code: 'ELOOP', path, at: p };
        const target = this.readlink(p);
        hops.push({ link: p, target });
        if (target.startsWith('/')) cur = '';
        pushComponents(todo, target);
        entry = this.lstat(cur || '/')!;
        continue;
      }
      if (!last && e.type !== 'dir') return { code: 'ENOTDIR', path, at: p };
      cur = p;
      entry = e;
    }
    return { path: cur || '/', entry, hops };
  }

  exists(path: string): boolean {
    return this.lookup(path) !== undefined;
  }

  isDir(path: string): boolean {
    return this.lookup(path)?.entry.type === 'dir';
  }

  /** Reads a small text file (a config file), at most `max` bytes; undefined when absent or not a file. */
  readText(path: string, max = 1 << 20): string | undefined {
    const r = this.lookup(path);
    if (r?.entry.type !== 'file') return undefined;
    const src = this.backend.open(r.path);
    try {
      return src.read(0, Math.min(max, src.size)).toString('utf8');
    } finally {
      src.close();
    }
  }

  /** The first `n` bytes of a regular file (fewer when it is shorter); undefined when it is not one. */
  readHead(path: string, n: number): Buffer | undefined {
    const r = this.lookup(path);
    if (r?.entry.type !== 'file') return undefined;
    const src = this.backend.open(r.path);
    try {
      return src.read(0, Math.min(n, src.size));
    } finally {
      src.close();
    }
  }

  /** Reads a whole small binary file (ld.so.cache), refusing anything over `max` bytes. */
  readBytes(path: string, max: number): Buffer | undefined {
    const r = this.lookup(path);
    if (r?.entry.type !== 'file' || r.entry.size > max) return undefined;
    const src = this.backend.open(r.path);
    try {
      return src.read(0, src.size);
    } finally {
      src.close();
    }
  }

  /** Lets the backend learn the digests of many files at once (one pass over an image, not one read per file). */
  prepareDigests(paths: string[]): void {
    if (!this.backend.cache) return;
    const files = paths.map((p) => this.lookup(p)).filter((r) => r?.entry.type === 'file');
    this.backend.cache.prepareDigests(files.map((r) => r!.path));
  }

  /** Digests of a regular file's bytes, read in 1 MiB pieces (never whole into memory). */
  digests(path: string, algorithms: string[]): string[] | undefined {
    const r = this.lookup(path);
    if (r?.entry.type !== 'file') return undefined;
    const known = this.backend.cache?.digests(r.path, algorithms);
    if (known) return known;
    const src = this.backend.open(r.path, r.entry.size);
    const hashes = algorithms.map((a) => createHash(a));
    try {
      for (let at = 0; at < src.size; at += 1 << 20) {
        const piece = src.read(at, Math.min(1 << 20, src.size - at));
        for (const h of hashes) h.update(piece);
      }
    } finally {
      src.close();
    }
    return hashes.map((h) => h.digest('hex'));
  }

  /** Parses the ELF file at the resolved real path `real`. The name in errors is the path as the image has it. */
  readElf(real: string, options?: ParseOptions): ElfFile {
    const known = this.backend.cache?.elf(real, options);
    if (known) return known;
    const src = this.backend.open(real, this.lstat(real)?.size);
    try {
      return parseElf(src, real, options);
    } finally {
      this.bytesRead += src.bytesRead;
      src.close();
    }
  }

  readdir(path: string): string[] {
    const r = this.lookup(path);
    if (r?.entry.type !== 'dir') return [];
    return this.backend.readdir(r.path).sort();
  }
}

/** Pushes the components of `path` so that the first is popped first, leaving out '' and '.'. */
function pushComponents(todo: string[], path: string): void {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '' && parts[i] !== '.') todo.push(parts[i]);
}

/** Normalizes a path lexically (no link resolution), as the loader does with search directories. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}
