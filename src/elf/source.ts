import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';

/** Random access to the bytes of one file: a host file, or a member of an image tarball. */
export interface ByteSource {
  readonly size: number;
  readonly bytesRead: number;
  /** Reads up to `length` bytes at `position`; returns fewer only at the end of the source. */
  read(position: number, length: number): Buffer;
  /** Reads up to `target.length` bytes at `position` into `target`; returns the count, fewer only at the end. */
  readInto(target: Buffer, position: number): number;
  close(): void;
}

/** Counts what was read, so `resolve --format json` can report bytes read per object. */
export class FileSource implements ByteSource {
  readonly size: number;
  bytesRead = 0;
  private readonly fd: number;
  private readonly offset: number;
  private readonly ownsFd: boolean;

  /** A window (`offset`, `size`) selects a tar member inside a shared descriptor, which `close` leaves open. */
  constructor(fd: number, window?: { offset: number; size: number }, ownsFd = window === undefined) {
    this.fd = fd;
    this.offset = window?.offset ?? 0;
    this.size = window?.size ?? fstatSync(fd).size;
    this.ownsFd = ownsFd;
  }

  /** `size` known from a stat taken just before saves an fstat (and the Stats object node builds for it). */
  static open(path: string, noFollow = false, size?: number): FileSource {
    const flags = constants.O_RDONLY | (noFollow ? constants.O_NOFOLLOW : 0);
    const fd = openSync(path, flags);
    return new FileSource(fd, size === undefined ? undefined : { offset: 0, size }, true);
  }

  read(position: number, length: number): Buffer {
    return readThrough(this, position, length);
  }

  readInto(target: Buffer, position: number): number {
    const want = Math.max(0, Math.min(target.length, this.size - position));
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, target, got, want - got, this.offset + position + got);
      if (n === 0) break;
      got += n;
    }
    this.bytesRead += got;
    return got;
  }

  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }
}

/** `read` for a source whose reads all go through its `readInto`: a new buffer, cut to what was read. */
export function readThrough(src: ByteSource, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, src.size - position)));
  const got = src.readInto(buf, position);
  return got === buf.length ? buf : buf.subarray(0, got);
}

/** A file held in memory as a ByteSource (an ELF file read whole from a stream, a file fetched for a bundle). */
export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    bytesRead: 0,
    read: (pos, len) => buf.subarray(Math.min(pos, buf.length), Math.min(buf.length, pos + len)),
    readInto: (target, pos) => buf.copy(target, 0, Math.min(pos, buf.length), Math.min(buf.length, pos + target.length)),
    close() {},
  };
}
