import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { FileSource } from '../elf/source.js';
import type { Entry, EntryType, FsBackend } from './backend.js';

/** One member of a tar stream: where its data starts in the tarball, and what it is. */
export interface TarMember {
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Byte offset of the member's data in the tarball. */
  offset: number;
  /** Symlink target, or for a hard link the member path it shares data with. */
  link?: string;
  hardlink?: boolean;
}

export type TarIndex = Record<string, TarMember>;

export class TarFormatError extends Error {}

const BLOCK = 512;
/** PAX and GNU long-name records are short; a huge one is not a real header. */
const MAX_EXTENDED_HEADER = 1 << 20;

/** Normalizes a member name to the absolute form the Root uses: "./usr/lib/" -> "/usr/lib". */
function memberPath(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return '/' + parts.join('/');
}

function octal(b: Buffer, at: number, len: number): number {
  // GNU base-256 for values that do not fit in octal (sizes over 8 GiB).
  if (b[at] & 0x80) {
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + b[at + i];
    return v;
  }
  const s = b.toString('latin1', at, at + len).replace(/\0.*$/, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cstring(b: Buffer, at: number, len: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 || end > at + len ? at + len : end);
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = parseInt(text.slice(i, sp), 10);
    if (!(len > 0)) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Indexes a tarball (the output of `docker export`) by reading its 512-byte headers only, skipping data.
 * Understands ustar prefixes, PAX records (path, linkpath, size) and GNU long names.
 */
export function indexTar(path: string): TarIndex {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const index: TarIndex = {};
    const hdr = Buffer.alloc(BLOCK);
    let pos = 0;
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    const readAt = (buf: Buffer, at: number) => readSync(fd, buf, 0, buf.length, at);
    while (pos + BLOCK <= size) {
      if (readAt(hdr, pos) < BLOCK) throw new TarFormatError(`short header at ${pos}`);
      if (hdr.every((x) => x === 0)) break;
      const flag = String.fromCharCode(hdr[156] || 0x30);
      let msize = octal(hdr, 124, 12);
      const dataAt = pos + BLOCK;
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (msize > MAX_EXTENDED_HEADER) throw new TarFormatError(`extended header of ${msize} bytes at ${pos}`);
        const data = Buffer.alloc(msize);
        readAt(data, dataAt);
        if (flag === 'x') pax = { ...pax, ...parsePax(data.toString('utf8')) };
        else if (flag === 'L') longName = cstring(data, 0, msize);
        else if (flag === 'K') longLink = cstring(data, 0, msize);
        pos = dataAt + Math.ceil(msize / BLOCK) * BLOCK;
        continue;
      }
      const prefix = hdr.toString('latin1', 257, 263) === 'ustar\0' ? cstring(hdr, 345, 155) : '';
      const rawName = pax.path ?? longName ?? (prefix ? `${prefix}/${cstring(hdr, 0, 100)}` : cstring(hdr, 0, 100));
      const linkName = pax.linkpath ?? longLink ?? cstring(hdr, 157, 100);
      if (pax.size !== undefined) msize = Number(pax.size);
      const type: EntryType = flag === '0' || flag === '7' || flag === '1' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : 'other';
      const member: TarMember = {
        type,
        mode: octal(hdr, 100, 8) & 0o7777,
        uid: pax.uid !== undefined ? Number(pax.uid) : octal(hdr, 108, 8),
        gid: pax.gid !== undefined ? Number(pax.gid) : octal(hdr, 116, 8),
        size: flag === '1' ? 0 : msize,
        offset: dataAt,
      };
      if (flag === '2') member.link = linkName;
      if (flag === '1') {
        member.link = memberPath(linkName);
        member.hardlink = true;
      }
      index[memberPath(rawName)] = member;
      pax = {};
      longName = longLink = undefined;
      pos = dataAt + (flag === '1' || flag === '2' || flag === '5' ? 0 : Math.ceil(msize / BLOCK) * BLOCK);
    }
    if (!index['/']) index['/'] = { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, offset: 0 };
    return index;
  } finally {
    closeSync(fd);
  }
}

/** An image filesystem read straight from its exported tarball through an index of its members. */
export class TarBackend implements FsBackend {
  private readonly children = new Map<string, string[]>();
  private fd?: number;

  constructor(
    readonly description: string,
    private readonly tarPath: string,
    private readonly index: TarIndex,
  ) {
    for (const p of Object.keys(index)) {
      if (p === '/') continue;
      const slash = p.lastIndexOf('/');
      const parent = slash === 0 ? '/' : p.slice(0, slash);
      let list = this.children.get(parent);
      if (!list) this.children.set(parent, (list = []));
      list.push(p.slice(slash + 1));
      // Tarballs may omit a parent directory's own header; it still exists.
      for (let q = parent; q !== '/' && !index[q]; q = q.slice(0, q.lastIndexOf('/')) || '/') {
        index[q] = { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, offset: 0 };
        const up = q.slice(0, q.lastIndexOf('/')) || '/';
        let l = this.children.get(up);
        if (!l) this.children.set(up, (l = []));
        l.push(q.slice(q.lastIndexOf('/') + 1));
      }
    }
  }

  /** The member holding the data: a hard link points at another member (bounded, in case of a cycle). */
  private data(path: string): TarMember | undefined {
    let m = this.index[path];
    for (let i = 0; m?.hardlink && i < 40; i++) m = this.index[m.link!];
    return m?.hardlink ? undefined : m;
  }

  lstat(path: string): Entry | undefined {
    const m = this.index[path];
    if (!m) return undefined;
    const d = m.hardlink ? this.data(path) : m;
    return { type: m.type, size: d?.size ?? 0, mode: m.mode, uid: m.uid, gid: m.gid };
  }

  readlink(path: string): string {
    return this.index[path]?.link ?? '';
  }

  readdir(path: string): string[] {
    return [...(this.children.get(path) ?? [])];
  }

  open(path: string): FileSource {
    const m = this.data(path);
    if (!m || m.type !== 'file') throw new Error(`${path}: not a regular file in ${this.description}`);
    if (this.fd === undefined) this.fd = openSync(this.tarPath, 'r');
    return new FileSource(this.fd, { offset: m.offset, size: m.size });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
