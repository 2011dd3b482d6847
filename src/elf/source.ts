import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';

/** Random access to the bytes of one file: a host file, or a member of an image tarball. */
export interface ByteSource {
  readonly size: number;
  readonly bytesRead: number;
  /** Reads up to `length` bytes at `position`; returns fewer only at the end of the source. */
  read(position: number, length: number): Buffer;
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
  constructor(fd: number, window?: { offset: number; size: number }) {
    this.fd = fd;
    this.offset = window?.offset ?? 0;
    this.size = window?.size ?? fstatSync(fd).size;
    this.ownsFd = window === undefined;
  }

  static open(path: string, noFollow = false): FileSource {
    const flags = constants.O_RDONLY | (noFollow ? constants.O_NOFOLLOW : 0);
    return new FileSource(openSync(path, flags));
  }

  read(position: number, length: number): Buffer {
    const want = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, buf, got, want - got, this.offset + position + got);
      if (n === 0) break;
      got += n;
    }
    this.bytesRead += got;
    return got === want ? buf : buf.subarray(0, got);
  }

  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }
}
