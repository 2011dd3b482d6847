import { ScratchifyError } from '../errors.js';

/** One entry of the scaffold tarball that `ADD` unpacks first in the scratch stage. */
export type ScaffoldEntry =
  | { type: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { type: 'file'; path: string; mode: number; uid: number; gid: number; content: Buffer }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

function field(b: Buffer, at: number, len: number, value: string): void {
  b.write(value, at, len, 'utf8');
}

function octal(b: Buffer, at: number, len: number, value: number): void {
  field(b, at, len, `${value.toString(8).padStart(len - 1, '0')}\0`);
}

/** A ustar name split across `prefix` and `name` as POSIX allows, or undefined when it does not fit. */
function splitName(name: string): [string, string] | undefined {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return [prefix, rest];
  }
  return undefined;
}

/**
 * A deterministic ustar archive (mtime 0, sorted, numeric owners only), so the same input always gives
 * the same bytes. BuildKit's ADD unpacks it keeping modes (a 1777 /tmp), owners and symlinks, which
 * COPY cannot create.
 */
export function writeScaffoldTar(entries: ScaffoldEntry[]): Buffer {
  const chunks: Buffer[] = [];
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) {
    const rel = e.path.replace(/^\//, '') + (e.type === 'dir' ? '/' : '');
    const split = splitName(rel);
    if (!split)
      throw new ScratchifyError('USAGE', `${e.path}: path too long for the scaffold archive (ustar: 255 bytes)`, {
        hint: 'shorten the path in the base image',
      });
    if (e.type === 'symlink' && Buffer.byteLength(e.target) > 100) {
      throw new ScratchifyError('USAGE', `${e.path}: link target ${e.target} too long for the scaffold archive (ustar: 100 bytes)`, {
        hint: 'shorten the link target in the base image',
      });
    }
    const h = Buffer.alloc(BLOCK);
    field(h, 0, 100, split[1]);
    const mode = e.type === 'symlink' ? 0o777 : e.mode;
    octal(h, 100, 8, mode);
    octal(h, 108, 8, e.type === 'symlink' ? 0 : e.uid);
    octal(h, 116, 8, e.type === 'symlink' ? 0 : e.gid);
    octal(h, 124, 12, e.type === 'file' ? e.content.length : 0);
    octal(h, 136, 12, 0);
    h.fill(0x20, 148, 156);
    h[156] = e.type === 'dir' ? 0x35 : e.type === 'symlink' ? 0x32 : 0x30;
    if (e.type === 'symlink') field(h, 157, 100, e.target);
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    field(h, 345, 155, split[0]);
    // Indexed: a for-of over the header's bytes allocates per byte, and it runs once, before the JIT optimizes it.
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += h[i];
    field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    chunks.push(h);
    if (e.type === 'file') {
      chunks.push(e.content);
      const pad = (BLOCK - (e.content.length % BLOCK)) % BLOCK;
      if (pad) chunks.push(Buffer.alloc(pad));
    }
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}
