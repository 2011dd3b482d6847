import type { Entry } from '../rootfs/backend.js';
import type { Root } from '../rootfs/root.js';

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
  readonly generated = new Map<string, { content: Buffer; mode: number; reason: string }>();
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
  addDir(path: string, mode: number, uid: number, gid: number, reason: string): void {
    const r = this.root.lookup(path);
    // Create it at its real location when the base has it behind links (/var/run -> /run).
    if (r) for (const hop of r.hops) this.links.set(hop.link, hop.target);
    const real = r?.path ?? path;
    const prev = this.dirs.get(real);
    if (!prev || (prev.uid === 0 && uid !== 0)) this.dirs.set(real, { path: real, mode, uid, gid, reason });
  }

  generate(path: string, content: string, reason: string, mode = 0o644): void {
    this.generated.set(path, { content: Buffer.from(content), mode, reason });
  }

  private insideTree(path: string): boolean {
    for (let p = parentOf(path); p !== '/'; p = parentOf(p)) if (this.trees.has(p)) return true;
    return false;
  }

  /** Drops what a copied tree already brings (its files and links), so nothing lands twice. */
  finish(): void {
    for (const p of [...this.files.keys()]) if (this.insideTree(p)) this.files.delete(p);
    for (const p of [...this.links.keys()]) if (this.insideTree(p)) this.links.delete(p);
    for (const p of [...this.trees.keys()]) if (this.insideTree(p)) this.trees.delete(p);
  }

  /**
   * Every directory the scaffold must create before the links and generated files in it, with the base's
   * own mode and owner where the base has that directory.
   */
  scaffoldDirs(): PlannedDir[] {
    const out = new Map<string, PlannedDir>(this.dirs);
    const need = [...this.links.keys(), ...this.generated.keys(), ...this.dirs.keys()];
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

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
