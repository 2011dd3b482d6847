import { ScratchifyError } from '../errors.js';
import type { Entry } from '../rootfs/backend.js';
import { addressableByCopy } from './dockerfile-words.js';
import { walkFiles } from '../rootfs/include.js';
import type { Root } from '../rootfs/root.js';

/** A file COPY cannot name is carried in the scaffold archive instead, up to this size. */
const MAX_CARRIED_BYTES = 64 << 20;

/** A regular file of the base, copied to its real path. */
export interface PlannedFile {
  path: string;
  size: number;
  reasons: string[];
}

/** A directory of the base copied whole (COPY keeps the links and modes inside it). */
export interface PlannedTree {
  path: string;
  reasons: string[];
}

export interface PlannedDir {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  reason?: string;
  /** The program writes into it (its sockets, pid and lock files, temp paths): the Dockerfile says so, with why. */
  writable?: boolean;
}

/**
 * What the scratch image must hold. Files are copied at their real paths; every symlink met on the way
 * from a name the program opens to that file is recreated, so the name resolves in the new image exactly
 * as in the base and no file is copied twice.
 */
export class Plan {
  readonly files = new Map<string, PlannedFile>();
  readonly trees = new Map<string, PlannedTree>();
  readonly links = new Map<string, string>();
  readonly dirs = new Map<string, PlannedDir>();
  /** Files the scaffold archive carries: generated ones (passwd), and base files COPY cannot name. */
  readonly generated = new Map<string, { content: Buffer; mode: number; uid: number; gid: number; reason: string; fromBase?: boolean }>();
  /** The dpkg package each copied file comes from, by real path (filled in when the base has dpkg data). */
  readonly packageOf = new Map<string, string>();
  readonly warnings: string[] = [];

  constructor(readonly root: Root) {}

  /** Adds what `path` names in the base (a file or a directory), with the links that lead to it. */
  add(path: string, reason: string): boolean {
    const r = this.root.lookup(path);
    if (!r) {
      this.warnings.push(`${path} (${reason}) is not in ${this.root.description}`);
      return false;
    }
    for (const hop of r.hops) this.links.set(hop.link, hop.target);
    if (r.entry.type === 'dir') {
      const t = this.trees.get(r.path);
      if (t) t.reasons.push(reason);
      else this.trees.set(r.path, { path: r.path, reasons: [reason] });
    } else if (r.entry.type === 'file') {
      const f = this.files.get(r.path);
      if (f) {
        if (!f.reasons.includes(reason)) f.reasons.push(reason);
      } else {
        this.files.set(r.path, { path: r.path, size: r.entry.size, reasons: [reason] });
      }
    } else {
      this.warnings.push(`${path} (${reason}) is a ${r.entry.type}; left out`);
      return false;
    }
    return true;
  }

  /** A directory created empty in the scaffold with the given owner and mode (tmp, run, log and temp dirs). */
  addDir(path: string, mode: number, uid: number, gid: number, reason: string, writable = false): void {
    const real = this.realPath(path);
    const prev = this.dirs.get(real);
    if (!prev || (prev.uid === 0 && uid !== 0))
      this.dirs.set(real, { path: real, mode, uid, gid, reason, writable: writable || prev?.writable });
    else if (writable && !prev.writable) this.dirs.set(real, { ...prev, reason, writable });
  }

  /**
   * Where `path` is in the base, the links on the way kept: a directory the base lacks is placed under its
   * nearest parent that the base has, resolved (/var/run/postgresql is /run/postgresql where /var/run -> /run).
   */
  realPath(path: string): string {
    const r = this.root.lookup(path);
    if (r) {
      for (const hop of r.hops) this.links.set(hop.link, hop.target);
      return r.path;
    }
    const parent = parentOf(path);
    if (parent === path) return path;
    const name = path.slice(path.lastIndexOf('/') + 1);
    return parent === '/' ? `/${name}` : `${this.realPath(parent)}/${name}`;
  }

  /**
   * Every regular file of the base the image holds (single files, files inside copied trees, carried files) and
   * every symbolic link (on the way to what it copies, and inside copied trees), in one walk of the trees.
   */
  copied(): { files: string[]; links: string[] } {
    const files = [...this.files.keys()];
    const links = [...this.links.keys()];
    for (const t of this.trees.keys()) walkFiles(this.root, t, files, 0, links);
    for (const [p, g] of this.generated) if (g.fromBase) files.push(p);
    return { files: files.sort(), links: links.sort() };
  }

  /** Every regular file of the base the image holds: single files, files inside copied trees, carried files. */
  copiedFiles(): string[] {
    return this.copied().files;
  }

  /**
   * Leaves out every planned path `excluded` matches: single files and links go; a tree that holds a match is
   * replaced by its entries (COPY cannot leave a part of a directory out), down to what matches, which goes.
   * Returns what was left out.
   */
  exclude(excluded: (path: string) => boolean): string[] {
    const out: string[] = [];
    for (const p of [...this.files.keys()].filter(excluded)) {
      this.files.delete(p);
      out.push(p);
    }
    for (const p of [...this.links.keys()].filter(excluded)) {
      this.links.delete(p);
      out.push(p);
    }
    for (const [p, t] of [...this.trees]) {
      if (excluded(p)) {
        this.trees.delete(p);
        out.push(p);
      } else if (holdsMatch(this.root, p, excluded)) {
        this.trees.delete(p);
        this.split(p, t.reasons, excluded, out);
      }
    }
    return out;
  }

  /** A tree's entries planned one by one, but those excluded; the directory itself with the base's mode. */
  private split(dir: string, reasons: string[], excluded: (path: string) => boolean, out: string[]): void {
    const e = this.root.lstat(dir);
    if (e?.type === 'dir') this.addDir(dir, e.mode & 0o7777, e.uid, e.gid, reasons[0]);
    for (const name of this.root.readdir(dir)) {
      const p = `${dir}/${name}`;
      const entry = this.root.lstat(p);
      if (excluded(p)) out.push(p);
      else if (entry?.type === 'symlink') this.links.set(p, this.root.linkTarget(p));
      else if (entry?.type === 'dir' && holdsMatch(this.root, p, excluded)) this.split(p, reasons, excluded, out);
      else if (entry?.type === 'dir') this.trees.set(p, { path: p, reasons: [...reasons] });
      else if (entry?.type === 'file') this.files.set(p, { path: p, size: entry.size, reasons: [...reasons] });
    }
  }

  generate(path: string, content: string, reason: string, mode = 0o644): void {
    this.generated.set(path, { content: Buffer.from(content), mode, uid: 0, gid: 0, reason });
  }

  private insideTree(path: string): boolean {
    for (let p = parentOf(path); p !== '/'; p = parentOf(p)) if (this.trees.has(p)) return true;
    return false;
  }

  /**
   * Drops what a copied tree already brings (its files and links), so nothing lands twice; moves the files
   * COPY cannot name on every engine into the scaffold archive, with the base's bytes, mode and owner.
   */
  finish(): void {
    for (const p of [...this.files.keys()]) if (this.insideTree(p)) this.files.delete(p);
    for (const p of [...this.links.keys()]) if (this.insideTree(p)) this.links.delete(p);
    for (const p of [...this.trees.keys()]) if (this.insideTree(p)) this.trees.delete(p);
    for (const t of this.trees.keys()) {
      if (!addressableByCopy(t)) {
        throw new ScratchifyError('USAGE', `${t}: a directory whose path holds * ? [ or \\ cannot be copied exactly by every engine`, {
          hint: 'include the files inside it instead, or rename it in the base image',
        });
      }
    }
    for (const [p, f] of [...this.files]) {
      if (addressableByCopy(p)) continue;
      this.files.delete(p);
      this.carry(p, `${f.reasons.join('; ')} (carried in the scaffold: COPY cannot name it on every engine)`);
    }
  }

  /**
   * A file of the base carried in the scaffold archive with its bytes, mode and owner, instead of a COPY:
   * for names COPY cannot address, and small files that would each cost a layer of their own (copyright files).
   */
  carry(path: string, reason: string): void {
    const r = this.root.lookup(path);
    const content = r?.entry.type === 'file' ? this.root.readBytes(r.path, MAX_CARRIED_BYTES) : undefined;
    if (!r || !content) {
      throw new ScratchifyError(
        'USAGE',
        `${path}: cannot be carried in the scaffold archive (not a regular file of at most ${MAX_CARRIED_BYTES >> 20} MiB)`,
        {
          hint: 'rename it in the base image',
        },
      );
    }
    for (const hop of r.hops) this.links.set(hop.link, hop.target);
    const e = r.entry;
    this.generated.set(r.path, { content, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, reason, fromBase: true });
  }

  /**
   * Every directory the scaffold must create, with the base's own mode and owner where the base has it: those
   * holding links and generated files, and those COPY writes into. COPY creates a missing destination directory
   * 0755 root whatever the base says (a 0710 /etc/ssl/private, a daemon's own data directory), but leaves one
   * that exists as it is, and the scaffold is unpacked first.
   */
  scaffoldDirs(): PlannedDir[] {
    const out = new Map<string, PlannedDir>(this.dirs);
    const need = [
      ...this.links.keys(),
      ...this.generated.keys(),
      ...this.dirs.keys(),
      ...this.files.keys(),
      ...[...this.trees.keys()].map((t) => `${t}/.`),
    ];
    for (const p of need) {
      for (let d = parentOf(p); d !== '/'; d = parentOf(d)) {
        if (out.has(d)) continue;
        const e: Entry | undefined = this.root.lstat(d);
        const ok = e && e.type === 'dir';
        out.set(d, { path: d, mode: ok ? e.mode : 0o755, uid: ok ? e.uid : 0, gid: ok ? e.gid : 0 });
      }
    }
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }
}

/** Whether anything under `dir` (bounded, links not followed) is excluded. */
function holdsMatch(root: Root, dir: string, excluded: (path: string) => boolean, depth = 0, budget = { left: 50_000 }): boolean {
  if (depth > 32) return false;
  for (const name of root.readdir(dir)) {
    if (--budget.left < 0) return false;
    const p = `${dir}/${name}`;
    if (excluded(p)) return true;
    if (root.lstat(p)?.type === 'dir' && holdsMatch(root, p, excluded, depth + 1, budget)) return true;
  }
  return false;
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
