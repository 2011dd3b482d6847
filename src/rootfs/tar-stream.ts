import { type TarIndex, TarFormatError, TarIndexer, type TarMember } from './tar.js';

const BLOCK = 512;

/** What a tar stream's reader is told, member by member, as the bytes arrive. */
export interface TarSink {
  /** A member's header. For a regular file with bytes, `data` calls follow with exactly its bytes, then `end`. */
  member(path: string, member: TarMember): void;
  /** Valid during the call only: it may be a view of a read buffer the stream's source reuses. */
  data(chunk: Buffer): void;
  end(): void;
}

type Part = 'header' | 'extended' | 'data' | 'padding';

/**
 * Reads a tar stream as it arrives (an engine's export through a pipe), in chunks of any size: headers are
 * decoded as the file indexer decodes them, and each regular file's bytes go to the sink without the archive
 * ever being written anywhere.
 */
export class TarStream {
  private readonly indexer = new TarIndexer();
  /** Bytes of a header or an extended record not yet complete. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** What the bytes now arriving are, how many of them are left, and the padding after them. */
  private part: Part = 'header';
  private left = BLOCK;
  private pad = 0;
  private extended?: { flag: string; size: number };
  /** Stream offset of the next byte. */
  private pos = 0;

  constructor(private readonly sink: TarSink) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.indexer.ended) {
      const take = Math.min(this.left, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      this.pos += take;
      this.left -= take;
      if (this.part === 'data') this.sink.data(piece);
      else if (this.part !== 'padding') {
        this.pending.push(piece);
        this.pendingBytes += take;
      }
      if (this.left === 0) this.next();
    }
    // A header or record cut by the chunk's end waits for the next one: a copy, as the chunk may be reused.
    if (this.pending.length > 0) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
  }

  /** The index of every member; fails if the stream stopped inside one. */
  finish(): TarIndex {
    if (!this.indexer.ended && (this.part !== 'header' || this.pendingBytes > 0)) {
      throw new TarFormatError(`the archive ends inside a member (its ${this.part}, at byte ${this.pos})`);
    }
    return this.indexer.finish();
  }

  private take(): Buffer {
    const b = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return b;
  }

  /** The current part is complete: decide what the next bytes are. */
  private next(): void {
    if (this.part === 'header') {
      const { skip, extended } = this.indexer.header(this.take(), this.pos - BLOCK);
      if (this.indexer.ended) return;
      if (extended) {
        this.extended = extended;
        if (extended.size > 0) this.expect('extended', extended.size, skip - extended.size);
        else {
          this.indexer.extended(extended.flag, Buffer.alloc(0));
          this.expect('padding', skip, 0);
        }
        return;
      }
      const last = this.indexer.last!;
      this.sink.member(last.path, last.member);
      const size = last.member.type === 'file' && !last.member.hardlink ? last.member.size : 0;
      if (size > 0) this.expect('data', size, skip - size);
      else this.expect('padding', skip, 0);
      return;
    }
    if (this.part === 'padding') {
      this.expect('header', 0, 0);
      return;
    }
    if (this.part === 'extended') {
      // A copy: the pieces may be views of a chunk the caller reuses.
      this.indexer.extended(this.extended!.flag, Buffer.from(this.take()));
    } else {
      this.sink.end();
    }
    this.expect('padding', this.pad, 0);
  }

  /** `size` bytes of `part` then `pad` bytes of padding; nothing at all means the next header. */
  private expect(part: Part, size: number, pad: number): void {
    if (size <= 0) {
      this.part = 'header';
      this.left = BLOCK;
      return;
    }
    this.part = part;
    this.left = size;
    this.pad = pad;
  }
}

/**
 * A tar stream's reader that hands `each` the whole bytes of the regular files named in `wanted` (by member path)
 * and lets the rest go by: many files of an image taken out of one pass over it.
 */
export function fileCollector(wanted: Iterable<string>, each: (path: string, content: Buffer) => void): TarStream {
  const want = new Set(wanted);
  let current: string | undefined;
  let chunks: Buffer[] = [];
  return new TarStream({
    member(path) {
      current = want.has(path) ? path : undefined;
      chunks = [];
    },
    data(c) {
      // A view of the source's buffer, valid during the call only: copied.
      if (current) chunks.push(Buffer.from(c));
    },
    end() {
      if (current) each(current, Buffer.concat(chunks));
      current = undefined;
    },
  });
}
