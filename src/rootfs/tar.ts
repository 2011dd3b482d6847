import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { FileSource } from '../elf/source.js';
import type { EntryType } from './backend.js';
import type { TarIndex, TarMember } from './tar-member.js';
import { IndexedBackend } from './indexed.js';
import { MemberTable } from './member-table.js';

/** One member of a tar stream: where its data starts in the tarball, and what it is. */
export type { TarIndex, TarMember } from './tar-member.js';

export class TarFormatError extends Error {}

const BLOCK = 512;
/** PAX and GNU long-name records are short; a huge one is not a real header. */
const MAX_EXTENDED_HEADER = 1 << 20;

/** A name with an empty or "." component: only these need taking apart. */
const UNUSUAL_NAME = /^\/|\/\/|\/$|(?:^|\/)\.(?:\/|$)/;

/** Normalizes a member name to the absolute form the Root uses: "./usr/lib/" -> "/usr/lib". */
export function memberPath(name: string): string {
  // Engines write "usr/lib/x" and "usr/lib/": this runs for every member of every export, so the usual forms
  // skip the split.
  let s = name.startsWith('./') ? name.slice(2) : name;
  if (s.endsWith('/')) s = s.slice(0, -1);
  if (!UNUSUAL_NAME.test(s)) return s === '' ? '/' : `/${s}`;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

/**
 * A numeric header field: octal digits after optional spaces, ended by a space, a NUL or the field's end (what
 * parseInt of the text up to its first NUL read, without making the text).
 */
export function octal(b: Buffer, at: number, len: number): number {
  // GNU base-256 for values that do not fit in octal (sizes over 8 GiB).
  if (b[at] & 0x80) {
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + b[at + i];
    return v;
  }
  let i = at;
  const end = at + len;
  while (i < end && (b[i] === 0x20 || (b[i] >= 0x09 && b[i] <= 0x0d))) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c < 0x30 || c > 0x37) break;
    v = v * 8 + (c - 0x30);
  }
  return v;
}

const USTAR = Buffer.from('ustar\0', 'latin1');

function cstring(b: Buffer, at: number, len: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 || end > at + len ? at + len : end);
}

/** PAX records, `LEN key=value\n`, where LEN counts bytes: a name with non-ASCII letters is longer in bytes. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', i, sp), 10);
    if (!(len > 0) || i + len > data.length) break;
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out[rec.toString('utf8', 0, eq)] = rec.toString('utf8', eq + 1);
    i += len;
  }
  return out;
}

/** Decodes tar headers one at a time: ustar prefixes, PAX records (path, linkpath, size, uid, gid), GNU long names. */
export class TarIndexer {
  private readonly index: TarIndex = {};
  private pax: Record<string, string> = {};
  private longName?: string;
  private longLink?: string;
  ended = false;
  /** The member the last header() described, under its normalized path. */
  last?: { path: string; member: TarMember };

  /**
   * Takes the 512-byte header at `pos`. Returns the data bytes that follow it (padded to whole blocks) and,
   * for an extended record, its exact length, which the caller hands back through `extended()`.
   */
  header(hdr: Buffer, pos: number): { skip: number; extended?: { flag: string; size: number } } {
    // A block whose first byte is not zero is no end-of-archive block: that settles every header with a name,
    // without the whole-block test, which walks 512 bytes through a callback, for each of thousands of members.
    if (hdr[0] === 0 && hdr.every((x) => x === 0)) {
      this.ended = true;
      return { skip: 0 };
    }
    const flag = String.fromCharCode(hdr[156] || 0x30);
    let msize = octal(hdr, 124, 12);
    const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (msize > MAX_EXTENDED_HEADER) throw new TarFormatError(`extended header of ${msize} bytes at ${pos}`);
      return { skip: padded(msize), extended: { flag, size: msize } };
    }
    const prefix = hdr.compare(USTAR, 0, 6, 257, 263) === 0 ? cstring(hdr, 345, 155) : '';
    const rawName = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${cstring(hdr, 0, 100)}` : cstring(hdr, 0, 100));
    const linkName = this.pax.linkpath ?? this.longLink ?? cstring(hdr, 157, 100);
    if (this.pax.size !== undefined) msize = Number(this.pax.size);
    const type: EntryType =
      flag === '0' || flag === '7' || flag === '1' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : 'other';
    const member: TarMember = {
      type,
      mode: octal(hdr, 100, 8) & 0o7777,
      uid: this.pax.uid !== undefined ? Number(this.pax.uid) : octal(hdr, 108, 8),
      gid: this.pax.gid !== undefined ? Number(this.pax.gid) : octal(hdr, 116, 8),
      size: flag === '1' ? 0 : msize,
      offset: pos + BLOCK,
    };
    if (flag === '2') member.link = linkName;
    if (flag === '1') {
      member.link = memberPath(linkName);
      member.hardlink = true;
    }
    const path = memberPath(rawName);
    this.index[path] = member;
    this.last = { path, member };
    this.pax = {};
    this.longName = this.longLink = undefined;
    return { skip: flag === '1' || flag === '2' || flag === '5' ? 0 : padded(msize) };
  }

  extended(flag: string, data: Buffer): void {
    if (flag === 'x') this.pax = { ...this.pax, ...parsePax(data) };
    else if (flag === 'L') this.longName = cstring(data, 0, data.length);
    else if (flag === 'K') this.longLink = cstring(data, 0, data.length);
  }

  finish(): TarIndex {
    if (!this.index['/']) this.index['/'] = { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, offset: 0 };
    return this.index;
  }
}

/** Indexes a tarball file by reading its 512-byte headers only, skipping data. */
export function indexTar(path: string): TarIndex {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const indexer = new TarIndexer();
    const hdr = Buffer.alloc(BLOCK);
    for (let pos = 0; pos + BLOCK <= size && !indexer.ended; ) {
      if (readSync(fd, hdr, 0, BLOCK, pos) < BLOCK) throw new TarFormatError(`short header at ${pos}`);
      const { skip, extended } = indexer.header(hdr, pos);
      if (extended) {
        const data = Buffer.alloc(extended.size);
        readSync(fd, data, 0, extended.size, pos + BLOCK);
        indexer.extended(extended.flag, data);
      }
      pos += BLOCK + skip;
    }
    return indexer.finish();
  } finally {
    closeSync(fd);
  }
}

/** An image filesystem read straight from its exported tarball through an index of its members. */
export class TarBackend extends IndexedBackend {
  private fd?: number;

  constructor(
    description: string,
    private readonly tarPath: string,
    index: TarIndex,
  ) {
    super(description, MemberTable.fromIndex(index));
  }

  open(path: string): FileSource {
    const m = this.data(path)?.member;
    if (m?.type !== 'file') throw new Error(`${path}: not a regular file in ${this.description}`);
    if (this.fd === undefined) this.fd = openSync(this.tarPath, 'r');
    return new FileSource(this.fd, { offset: m.offset, size: m.size });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
