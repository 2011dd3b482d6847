import { formatBytes } from '../resolve/sizes.js';
import { walkFiles } from '../rootfs/include.js';
import type { Plan } from './plan.js';

/** A path of the image with the bytes under it and why it is there. */
export interface SizeNode {
  path: string;
  bytes: number;
  files: number;
  /** Why a file is in the image (a directory: the reasons of a tree copied whole, when it is one). */
  reasons: string[];
  /** The package that owns a file, when dpkg says so. */
  package?: string;
  /** A directory copied whole: its files are there for its reasons, and are not listed one by one. */
  whole?: boolean;
  children: SizeNode[];
}

/**
 * Every file the image holds, in a tree by directory, each directory with the bytes under it, children largest
 * first: what `why` would say of each path, all at once, so a user sees what to --exclude.
 */
export function sizeTree(plan: Plan): SizeNode {
  const top: SizeNode = { path: '/', bytes: 0, files: 0, reasons: [], children: [] };
  const byPath = new Map<string, SizeNode>([['/', top]]);
  const node = (path: string): SizeNode => {
    let n = byPath.get(path);
    if (n) return n;
    const parent = node(path.slice(0, path.lastIndexOf('/')) || '/');
    n = { path, bytes: 0, files: 0, reasons: [], children: [] };
    parent.children.push(n);
    byPath.set(path, n);
    return n;
  };
  const add = (path: string, bytes: number, reasons: string[]) => {
    const n = node(path);
    n.reasons = reasons;
    n.package = plan.packageOf.get(path);
    for (let p: string | undefined = path; p !== undefined; p = p === '/' ? undefined : p.slice(0, p.lastIndexOf('/')) || '/') {
      const d = byPath.get(p)!;
      d.bytes += bytes;
      d.files += 1;
    }
  };
  const sizeOf = (p: string) => {
    const e = plan.root.lstat(p);
    return e?.type === 'file' ? e.size : 0;
  };
  for (const f of plan.files.values()) add(f.path, f.size, f.reasons);
  for (const t of plan.trees.values()) {
    const inside: string[] = [];
    walkFiles(plan.root, t.path, inside);
    node(t.path).reasons = t.reasons;
    node(t.path).whole = true;
    for (const p of inside) add(p, sizeOf(p), [`in ${t.path}/, copied whole`]);
  }
  for (const [p, g] of plan.generated) add(p, g.content.length, [g.reason]);
  const sort = (n: SizeNode) => {
    n.children.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
    for (const c of n.children) sort(c);
  };
  sort(top);
  return top;
}

/**
 * The tree for a terminal: a directory with a single child is joined to it (/usr/lib/x86_64-linux-gnu), each
 * level shows its largest entries and sums up the rest, files say why they are there.
 */
export function renderSizeTree(top: SizeNode, opts: { depth?: number; width?: number } = {}): string[] {
  const depth = opts.depth ?? 6;
  const width = opts.width ?? 8;
  const lines = [`${pad(formatBytes(top.bytes))}  / (${top.files} files)`];
  const walk = (n: SizeNode, prefix: string, level: number) => {
    const shown = n.children.slice(0, width);
    const rest = n.children.slice(width);
    shown.forEach((c0, i) => {
      let c = c0;
      while (!c.whole && c.children.length === 1 && c.children[0].children.length > 0) c = c.children[0];
      const last = i === shown.length - 1 && rest.length === 0;
      const name = c.path.slice(n.path === '/' ? 1 : n.path.length + 1);
      const dir = c.children.length > 0;
      const what = dir
        ? `${name}/ (${c.files} files${c.whole ? ', copied whole' : ''})${c.reasons.length ? `: ${c.reasons.join('; ')}` : ''}`
        : `${name}${c.package ? ` [${c.package}]` : ''}: ${c.reasons.join('; ')}`;
      lines.push(`${pad(formatBytes(c.bytes))}  ${prefix}${last ? '└── ' : '├── '}${what}`);
      if (dir && !c.whole && level < depth) walk(c, `${prefix}${last ? '    ' : '│   '}`, level + 1);
    });
    if (rest.length > 0) {
      const bytes = rest.reduce((s, c) => s + c.bytes, 0);
      const files = rest.reduce((s, c) => s + c.files, 0);
      lines.push(`${pad(formatBytes(bytes))}  ${prefix}└── ... ${rest.length} more (${files} files)`);
    }
  };
  walk(top, '', 1);
  return lines;
}

const pad = (s: string) => s.padStart(10);
