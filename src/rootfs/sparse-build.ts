import { writeSync } from 'node:fs';
import { ElfFormatError } from '../elf/errors.js';
import { parseElf, type ElfFile, type ParseOptions } from '../elf/file.js';
import { scanPathStrings } from '../elf/path-strings.js';
import { bufferSource, type ByteSource } from '../elf/source.js';
import { MemberTable } from './member-table.js';
import { type ElfFacts, type ElfFailure, type FileFacts, SPARSE_FORMAT, type SparseIndex } from './sparse.js';
import type { TarIndex, TarMember } from './tar-member.js';
import type { TarSink } from './tar-stream.js';

/** Of a file kept in part only, its head: what tells a script's interpreter or a file's kind (ELF files too). */
const HEAD = 512;
/** An ELF file is held whole in memory while it is parsed; a larger one keeps its first page only. */
const MAX_BUFFERED = 512 << 20;
const ELF_MAGIC = 0x7f454c46;
/** Bytes for the store are written in blocks of this size. */
const STAGE = 1 << 20;
/** The dynamic loaders, read whole for their search directories (glibc's ld.so, ld64.so, musl's ld-musl). */
const LOADER = /\/ld(?:-[^/]*|64)?\.so[^/]*$/;

export interface SparseOptions {
  /** The fullest parse any reader makes of an ELF file: its result is kept, so no reader needs the file's bytes. */
  parse: ParseOptions;
  /** Files other than ELF that are kept whole (configuration, the package database). */
  keepWhole(path: string): boolean;
  /** What profiles learn from a program's bytes (see profiles/binary-probes.ts), run on every ELF file. */
  probes: Record<string, (src: ByteSource, elf?: ElfFile) => unknown>;
}

interface Current {
  path: string;
  member: TarMember;
  /** Bytes seen before the kind is known (the first four say whether it is ELF). */
  early: Buffer[];
  got: number;
  kind?: 'elf' | 'whole' | 'head';
  storeStart: number;
}

/**
 * Makes an image's cache as its export streams by: for every regular file the bytes readers need of it without
 * the rest (configuration and loaders whole, the head of everything else), appended to the store; for every ELF
 * file what the reader makes of it and the path strings of its read-only data. Nothing is hashed here: digests
 * are for an SBOM's files only, and hashing every file of an image cost a third of the export's time.
 */
export class SparseBuilder implements TarSink {
  readonly strings: Record<string, string[]> = {};
  readonly probed: Record<string, Record<string, unknown>> = {};
  readonly elves: Record<string, ElfFacts> = {};
  /** Bytes appended to the store. */
  stored = 0;
  private cur?: Current;
  /** The ELF file being read, whole: one buffer reused from file to file, not one per file. */
  private scratch = Buffer.allocUnsafeSlow(1 << 20);

  constructor(
    private readonly storeFd: number,
    private readonly options: SparseOptions,
  ) {}

  member(path: string, member: TarMember): void {
    this.cur = undefined;
    if (member.type !== 'file' || member.hardlink) return;
    member.offset = 0;
    if (member.size === 0) return;
    this.cur = { path, member, early: [], got: 0, storeStart: this.stored };
  }

  data(chunk: Buffer): void {
    const c = this.cur!;
    if (c.kind === undefined) {
      c.early.push(chunk);
      c.got += chunk.length;
      if (c.got >= 4 || c.got === c.member.size) this.decide(c);
      // Held past this call, while the chunk it is cut from may be reused: a copy.
      else c.early = [Buffer.concat(c.early)];
      return;
    }
    this.take(c, chunk);
  }

  end(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = undefined;
    if (c.kind === 'elf') this.keepElf(c);
    else c.member.keep = [0, this.stored - c.storeStart, c.storeStart];
  }

  /** The index and strings, once the stream has ended; the store is complete then. */
  result(members: TarIndex): SparseIndex {
    this.flush();
    const paths = new Set([...Object.keys(this.elves), ...Object.keys(this.strings), ...Object.keys(this.probed)]);
    const facts = packFacts(
      [...paths].map((p): [string, string] => {
        const one: FileFacts = { elf: this.elves[p], strings: this.strings[p], probed: this.probed[p] };
        return [p, JSON.stringify(one)];
      }),
    );
    return {
      format: SPARSE_FORMAT,
      members: MemberTable.columnsOf(members),
      facts,
      parsedWith: [...(this.options.parse.imports ?? [])],
      probes: Object.keys(this.options.probes),
    };
  }

  /** The first bytes are in: decide how the file is kept, and take what came so far. */
  private decide(c: Current): void {
    const early = c.early.length === 1 ? c.early[0] : Buffer.concat(c.early);
    c.early = [];
    if (early.length >= 4 && early.readUInt32BE(0) === ELF_MAGIC) {
      if (c.member.size <= MAX_BUFFERED) {
        c.kind = 'elf';
        if (this.scratch.length < c.member.size) this.scratch = Buffer.allocUnsafeSlow(c.member.size);
      } else {
        // A file too large to hold: its head only; a reader parses it from the engine's copy.
        c.kind = 'head';
      }
    } else {
      c.kind = c.member.size <= HEAD || this.options.keepWhole(c.path) ? 'whole' : 'head';
    }
    c.got = 0;
    this.take(c, early);
  }

  private take(c: Current, chunk: Buffer): void {
    if (c.kind === 'whole') this.append(chunk);
    else if (c.kind === 'head') {
      if (c.got < HEAD) this.append(chunk.subarray(0, HEAD - c.got));
    } else chunk.copy(this.scratch, c.got);
    c.got += chunk.length;
  }

  /**
   * An ELF file whole in memory: what the reader makes of it (with every option), the path strings of its
   * read-only data, and its head; a loader whole, for its search directories.
   */
  private keepElf(c: Current): void {
    const buf = this.scratch.subarray(0, c.got);
    const head = LOADER.test(c.path) ? buf.length : Math.min(HEAD, buf.length);
    this.append(buf.subarray(0, head));
    c.member.keep = [0, head, c.storeStart];
    const src = bufferSource(buf);
    const full = parsed(src, c.path, this.options.parse);
    // A file whose versions or symbols are broken may still be read without them, as the resolver reads.
    const basic = 'error' in full ? parsed(src, c.path, { versions: false }) : undefined;
    this.elves[c.path] = basic ? { full, basic } : { full };
    const elf = 'error' in full ? (basic && !('error' in basic) ? basic : undefined) : full;
    if (elf?.constData) this.strings[c.path] = scanPathStrings(src, elf);
    // Without a parse too, as profiles probe a file the reader refuses.
    for (const [name, probe] of Object.entries(this.options.probes)) {
      let found: unknown;
      try {
        found = probe(src, elf);
      } catch {
        // A probe that cannot read a hostile file finds nothing in it, as the profile then would.
        continue;
      }
      if (found !== undefined) (this.probed[c.path] ??= {})[name] = found;
    }
  }

  /**
   * Bytes for the store gather here and are written a megabyte at a time: a write per file's head was ~9,000
   * system calls for one image, on the thread that must keep up with the export.
   */
  private staged = Buffer.allocUnsafeSlow(STAGE);
  private stagedBytes = 0;

  private append(b: Buffer): void {
    if (this.stagedBytes + b.length > STAGE) this.flush();
    if (b.length >= STAGE) this.write(b, this.stored);
    else {
      b.copy(this.staged, this.stagedBytes);
      this.stagedBytes += b.length;
    }
    this.stored += b.length;
  }

  private flush(): void {
    this.write(this.staged.subarray(0, this.stagedBytes), this.stored - this.stagedBytes);
    this.stagedBytes = 0;
  }

  private write(b: Buffer, position: number): void {
    for (let at = 0; at < b.length; ) at += writeSync(this.storeFd, b, at, b.length - at, position + at);
  }
}

function parsed(src: ByteSource, path: string, options: ParseOptions): ElfFile | ElfFailure {
  try {
    return parseElf(src, path, options);
  } catch (e) {
    if (!(e instanceof ElfFormatError)) throw e;
    return { error: { offset: e.offset, reason: e.reason } };
  }
}

/** Each file's facts as JSON text, laid end to end with where each begins: the index's `facts`. */
export function packFacts(files: Iterable<[string, string]>): SparseIndex['facts'] {
  const facts: SparseIndex['facts'] = { paths: [], at: [], text: '' };
  const texts: string[] = [];
  let at = 0;
  for (const [path, text] of files) {
    facts.paths.push(path);
    facts.at.push(at);
    texts.push(text);
    at += text.length;
  }
  facts.at.push(at);
  facts.text = texts.join('');
  return facts;
}
