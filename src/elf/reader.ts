import { ElfFormatError } from './errors.js';
import type { ByteSource } from './source.js';

/** One positional read serves this much: the ELF header, program headers and PT_INTERP of most files. */
const WINDOW = 4096;

/**
 * Window buffers kept between parses: a fresh 4 KiB buffer per read cost more in allocation and garbage
 * collection than the read itself (a third of resolving 1,000 programs). A parse runs to completion before the
 * next starts, takes a new window for every read and hands its windows back only when it ends, so no buffer a
 * caller still holds is ever overwritten.
 */
const spareWindows: Buffer[] = [];
const MAX_SPARE_WINDOWS = 8;

/**
 * Positional reads of one ELF file through a small window cache, in the file's byte order and class once the
 * header has said which, with one error for every structural problem (the offset and what was being read).
 */
export class ElfReader {
  protected le = true;
  protected is64 = true;

  constructor(
    protected readonly src: ByteSource,
    protected readonly name: string,
  ) {}

  /** Windows read in this parse: the header, program headers and strings sit close together. */
  private windows: { start: number; buf: Buffer }[] = [];

  /**
   * Positional read through a small window cache: one 4 KiB read serves the ELF header, the program
   * headers and PT_INTERP of most files, and one more the strings of the dynamic section. Windows start at
   * multiples of their size, so any parse of a file reads whole pages, and a parse that reads less (no
   * versions, no symbols) reads a subset of the pages a fuller one read: what an image's cache keeps of it.
   */
  protected read(position: number, length: number): Buffer {
    for (const w of this.windows) {
      if (position >= w.start && position + length <= w.start + w.buf.length) {
        return w.buf.subarray(position - w.start, position - w.start + length);
      }
    }
    const start = position - (position % WINDOW);
    if (position + length > start + WINDOW) return this.src.read(position, length);
    const window = spareWindows.pop() ?? Buffer.allocUnsafeSlow(WINDOW);
    if (this.taken.length < MAX_SPARE_WINDOWS) this.taken.push(window);
    const buf = window.subarray(0, this.src.readInto(window, start));
    if (this.windows.length >= 4) this.windows.shift();
    this.windows.push({ start, buf });
    return buf.subarray(position - start, position - start + length);
  }

  /** One byte, from a window when one holds it: no buffer is made for it. Undefined past the end of the file. */
  protected byteAt(position: number): number | undefined {
    for (const w of this.windows) {
      if (position >= w.start && position < w.start + w.buf.length) return w.buf[position - w.start];
    }
    return position < this.src.size ? this.read(position, 1)[0] : undefined;
  }

  /** Windows taken by this parse, given back when it ends (the rest, past the cap, are left to the collector). */
  private taken: Buffer[] = [];

  releaseWindows(): void {
    for (const w of this.taken) if (spareWindows.length < MAX_SPARE_WINDOWS) spareWindows.push(w);
    this.taken = [];
    this.windows = [];
  }

  protected fail(offset: number, reason: string): never {
    throw new ElfFormatError(this.name, offset, reason);
  }

  /** Reads exactly `length` bytes or fails naming what was being read. */
  protected need(offset: number, length: number, what: string): Buffer {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.src.size) {
      this.fail(offset, `truncated: ${what} (${length} bytes) lies past the end of the ${this.src.size}-byte file`);
    }
    const buf = this.read(offset, length);
    if (buf.length < length) this.fail(offset, `truncated: short read of ${what}`);
    return buf;
  }

  protected u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  protected u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }

  /** A word of the file's class; 64-bit values beyond 2^53 become Infinity and fail every bounds check. */
  protected word(b: Buffer, o: number): number {
    if (!this.is64) return this.u32(b, o);
    // Two 32-bit halves rather than a BigInt: this runs for every dynamic entry of every file.
    const lo = this.le ? b.readUInt32LE(o) : b.readUInt32BE(o + 4);
    const hi = this.le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o);
    return hi < 0x200000 ? hi * 0x100000000 + lo : Infinity;
  }
}
