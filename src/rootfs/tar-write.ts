import { ScratchifyError } from '../errors.js';

/** One member of an archive scratchify writes: the scaffold, a bundle, an image layer. */
export type TarEntry =
  | { type: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { type: 'file'; path: string; mode: number; uid: number; gid: number; content: Buffer }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
/** Linux's PATH_MAX: a longer name cannot be made by any engine that unpacks the archive. */
const MAX_NAME_BYTES = 4096;

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

function header(
  name: [string, string],
  h: { mode: number; uid: number; gid: number; size: number; mtime: number; type: number; link?: string },
): Buffer {
  const b = Buffer.alloc(BLOCK);
  field(b, 0, 100, name[1]);
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156);
  b[156] = h.type;
  if (h.link) field(b, 157, 100, h.link);
  field(b, 257, 6, 'ustar\0');
  field(b, 263, 2, '00');
  field(b, 345, 155, name[0]);
  // Indexed: a for-of over the header's bytes allocates per byte, and it runs once, before the JIT optimizes it.
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  field(b, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

/** A PAX record, `LEN key=value\n`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padded(chunks: Buffer[], data: Buffer): void {
  chunks.push(data);
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  if (pad) chunks.push(Buffer.alloc(pad));
}

/**
 * A deterministic archive: members sorted by path, every time `mtime`, numeric owners only, no user or group
 * names, no atime or ctime. Names and link targets that ustar cannot hold get a PAX header before their member
 * (what GNU tar, Go's archive/tar and every engine read), so the same entries always give the same bytes.
 */
export function writeTar(entries: readonly TarEntry[], mtime = 0): Buffer {
  const chunks: Buffer[] = [];
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) member(chunks, e, mtime);
  chunks.push(TRAILER);
  return Buffer.concat(chunks);
}

/** The end of an archive: two zero blocks. */
export const TRAILER = Buffer.alloc(BLOCK * 2);

/** One member's blocks, without the archive's end: for an archive written as a stream, member by member. */
export function tarMember(e: TarEntry, mtime = 0): Buffer {
  const chunks: Buffer[] = [];
  member(chunks, e, mtime);
  return Buffer.concat(chunks);
}

function member(chunks: Buffer[], e: TarEntry, mtime: number): void {
  const rel = e.path.replace(/^\//, '') + (e.type === 'dir' ? '/' : '');
  if (Buffer.byteLength(rel) > MAX_NAME_BYTES || (e.type === 'symlink' && Buffer.byteLength(e.target) > MAX_NAME_BYTES))
    throw new ScratchifyError('USAGE', `${e.path}: a path or link target over ${MAX_NAME_BYTES} bytes cannot be archived`, {
      hint: 'shorten the path in the base image',
    });
  let name = splitName(rel);
  const longLink = e.type === 'symlink' && Buffer.byteLength(e.target) > 100;
  if (!name || longLink) {
    const pax = Buffer.from((name ? '' : paxRecord('path', rel)) + (longLink ? paxRecord('linkpath', e.target) : ''));
    const paxName = `PaxHeaders/${rel.replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`;
    chunks.push(header(['', paxName], { mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime, type: 0x78 }));
    padded(chunks, pax);
    name ??= ['', rel.slice(0, 99)];
  }
  const owner = e.type === 'symlink' ? { mode: 0o777, uid: 0, gid: 0 } : { mode: e.mode, uid: e.uid, gid: e.gid };
  const size = e.type === 'file' ? e.content.length : 0;
  const type = e.type === 'dir' ? 0x35 : e.type === 'symlink' ? 0x32 : 0x30;
  const link = e.type === 'symlink' ? (longLink ? e.target.slice(0, 99) : e.target) : undefined;
  chunks.push(header(name, { ...owner, size, mtime, type, link }));
  if (e.type === 'file') padded(chunks, e.content);
}
