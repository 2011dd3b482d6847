import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElfFormatError } from '../elf/errors.js';
import { ScratchifyError } from '../errors.js';
import type { ElfFile, ParseOptions } from '../elf/file.js';
import { FileSource, readThrough, type ByteSource } from '../elf/source.js';
import type { CacheHooks } from './backend.js';
import { IndexedBackend } from './indexed.js';
import { type MemberColumns, MemberTable } from './member-table.js';
import type { TarMember } from './tar-member.js';

/** A parse that failed, as the reader's ElfFormatError said. */
export interface ElfFailure {
  error: { offset: number; reason: string };
}

/** What the reader made of an ELF file with every option, and without versions when that failed. */
export interface ElfFacts {
  full: ElfFile | ElfFailure;
  basic?: ElfFile | ElfFailure;
}

/**
 * The cache's format. The ELF facts are the reader's output kept as data, the probed values the probes' output:
 * whenever the reader's or a probe's result (or what the builder keeps) changes, this number goes up, and caches
 * made before are made again.
 */
export const SPARSE_FORMAT = 8;

/** What the cache found of one ELF file it held whole. */
export interface FileFacts {
  elf?: ElfFacts;
  /** The path strings of its read-only data. */
  strings?: string[];
  /** What each probe found (a probe absent here found nothing). */
  probed?: Record<string, unknown>;
}

/**
 * What an image's cache holds besides the kept bytes (`store.bin`) and the files fetched since (`fetched/`), as it
 * is written to `sparse.json`. The facts of file n are the JSON text text[at[n]] up to text[at[n + 1]], parsed only
 * when a reader asks for that file: a run asks for a few dozen of the image's hundreds of ELF files.
 */
export interface SparseIndex {
  format: typeof SPARSE_FORMAT;
  members: MemberColumns;
  facts: { paths: string[]; at: number[]; text: string };
  /** The symbol names the full parse looked for among each file's imports. */
  parsedWith: string[];
  /** The probes run on every ELF file the builder held whole, parsed or not. */
  probes: string[];
}

/** True when `x` has the shape of this format's index (a damaged or older cache is made again). */
export function isSparseIndex(x: unknown): x is SparseIndex {
  const i = x as SparseIndex;
  const f = i?.facts;
  return (
    i?.format === SPARSE_FORMAT &&
    MemberTable.columnsFit(i.members) &&
    Array.isArray(f?.paths) &&
    Array.isArray(f.at) &&
    f.at.length === f.paths.length + 1 &&
    typeof f.text === 'string' &&
    f.at[f.paths.length] === f.text.length &&
    Array.isArray(i.parsedWith) &&
    Array.isArray(i.probes)
  );
}

/** Brings whole files of the image from the engine: one, or many at once (a bundle). */
export interface Fetcher {
  one(path: string): Buffer;
  many(paths: string[], each: (path: string, content: Buffer) => void): void;
  /** The same, the image streamed as it arrives and only the wanted files held, where the source can. */
  manyAsync?(paths: string[], each: (path: string, content: Buffer) => void): Promise<void>;
  /** Removes what fetching made (a container); a later fetch makes it again. */
  close(): void;
}

/** Beyond this many files missing at once, one pass over the whole image is cheaper than one fetch per file. */
const FETCH_ONE_BY_ONE = 16;

/**
 * An image's filesystem from its cache: the index of every member, the bytes that generate reads of most files
 * (ELF structures, configuration, the package database, the heads of the rest) and digests learnt for SBOMs. A read of
 * anything else fetches the whole file from the engine once, and the cache keeps it.
 */
export class SparseBackend extends IndexedBackend implements CacheHooks {
  /** The backend is its own cache: every hook below answers from what the image's cache kept. */
  readonly cache: CacheHooks = this;
  private fd?: number;
  private knownDigests?: Record<string, [string, string]>;
  private readonly parsedWith: ReadonlySet<string>;
  private factsAt?: Map<string, number>;
  private readonly facts = new Map<number, FileFacts>();

  /** `sparse` as isSparseIndex accepts it. */
  constructor(
    description: string,
    private readonly dir: string,
    private readonly sparse: SparseIndex,
    private readonly fetcher?: Fetcher,
  ) {
    const members = MemberTable.fromColumns(sparse.members);
    if (!members)
      throw new ScratchifyError('CACHE_DAMAGED', `${dir}: the cache's index of ${description} is damaged`, {
        hint: 'run scratchify cache prune, then again',
      });
    super(description, members);
    this.parsedWith = new Set(sparse.parsedWith);
  }

  /** The facts the cache found of the file at data path `path`, parsed on first use; undefined for other files. */
  private factsOf(path: string): FileFacts | undefined {
    const f = this.sparse.facts;
    if (!this.factsAt) {
      this.factsAt = new Map();
      for (let n = 0; n < f.paths.length; n++) this.factsAt.set(f.paths[n], n);
    }
    const n = this.factsAt.get(path);
    if (n === undefined) return undefined;
    let facts = this.facts.get(n);
    if (!facts) {
      try {
        facts = JSON.parse(f.text.slice(f.at[n], f.at[n + 1])) as FileFacts;
      } catch (e) {
        throw new ScratchifyError('CACHE_DAMAGED', `${path}: what the cache of ${this.description} kept of it is damaged`, {
          hint: 'run scratchify cache prune, then again',
          cause: e,
        });
      }
      this.facts.set(n, facts);
    }
    return facts;
  }

  open(path: string): ByteSource {
    const d = this.data(path);
    if (d?.member.type !== 'file') throw new Error(`${path}: not a regular file in ${this.description}`);
    // A copy fetched before is looked for only by a read past what was kept: most reads (dpkg's lists, a file's
    // first bytes, by the hundred) need no name hashed and no file looked for.
    if (this.fd === undefined) this.fd = openSync(join(this.dir, 'store.bin'), 'r');
    return new SparseSource(this.fd, d.member, () => this.fetch(d.path, d.member));
  }

  digests(path: string, algorithms: string[]): string[] | undefined {
    if (!algorithms.every((a) => a === 'sha1' || a === 'sha256')) return undefined;
    const d = this.data(path);
    const both = d && this.digestTable()[d.path];
    return both && algorithms.map((a) => (a === 'sha1' ? both[0] : both[1]));
  }

  /**
   * Hashes files the cache holds only in part through one pass over the image, and keeps their digests (not
   * their bytes): an SBOM cites every file of an image, a cache of a tenth of it cannot hold them. A few files
   * are fetched one by one when asked, and kept.
   */
  prepareDigests(paths: string[]): void {
    const table = this.digestTable();
    const missing = this.notHeld(paths).filter((p) => !table[p]);
    if (missing.length <= FETCH_ONE_BY_ONE || !this.fetcher) return;
    const found: Record<string, [string, string]> = {};
    this.fetcher.many(missing, (p, content) => {
      found[p] = [createHash('sha1').update(content).digest('hex'), createHash('sha256').update(content).digest('hex')];
    });
    Object.assign(table, found);
    // Another process may have added digests since this one read them: keep theirs too.
    const file = join(this.dir, 'digests.json');
    writeBeside(file, JSON.stringify({ ...readDigests(file), ...table }));
  }

  /**
   * The ELF file as the reader would parse it with `options`, from what the cache found; undefined when it
   * cannot say (symbols it did not look for, a file too large to have been parsed), and then the file is read.
   */
  elf(path: string, options: ParseOptions = {}): ElfFile | undefined {
    const d = this.data(path);
    const facts = d && this.factsOf(d.path)?.elf;
    if (!facts) return undefined;
    const versions = options.versions ?? true;
    if (options.imports && ![...options.imports].every((n) => this.parsedWith.has(n))) return undefined;
    const r = versions || options.imports || !facts.basic ? facts.full : facts.basic;
    if ('error' in r) throw new ElfFormatError(path, r.error.offset, r.error.reason);
    const out: ElfFile = { ...r };
    if (!versions) {
      delete out.verneed;
      delete out.verdef;
    }
    if (options.imports) out.imports = (r.imports ?? []).filter((n) => options.imports!.has(n));
    else delete out.imports;
    return out;
  }

  probe(path: string, name: string): unknown {
    const d = this.data(path);
    const facts = d && this.factsOf(d.path);
    if (!facts?.elf || !this.sparse.probes.includes(name)) return undefined;
    return facts.probed?.[name] ?? null;
  }

  pathStrings(path: string): string[] | undefined {
    const d = this.data(path);
    return d && this.factsOf(d.path)?.strings;
  }

  /**
   * Many files about to be read (a bundle's, a written image's): fetched in one pass and kept in the entry as a
   * file read beyond the cache is, so the next bundle or image of this base reads no export again. The entry
   * grows by the minimal root; the cache's bound holds (least recently used entries go first).
   */
  prefetch(paths: string[]): void {
    const missing = this.notHeld(paths);
    if (missing.length <= FETCH_ONE_BY_ONE || !this.fetcher) return;
    this.fetcher.many(missing, (p, content) => this.keepFetched(p, content));
  }

  async prefetchAsync(paths: string[]): Promise<void> {
    const missing = this.notHeld(paths);
    if (missing.length <= FETCH_ONE_BY_ONE || !this.fetcher) return;
    if (this.fetcher.manyAsync) await this.fetcher.manyAsync(missing, (p, content) => this.keepFetched(p, content));
    else this.fetcher.many(missing, (p, content) => this.keepFetched(p, content));
  }

  /** Of regular files, those whose bytes the cache holds in part only (neither kept whole nor fetched), once each. */
  private notHeld(paths: string[]): string[] {
    const out = new Set<string>();
    for (const p of paths) {
      const d = this.data(p);
      if (d?.member.type === 'file' && !whole(d.member) && !existsSync(this.fetchedPath(d.path))) out.add(d.path);
    }
    return [...out];
  }

  private digestTable(): Record<string, [string, string]> {
    this.knownDigests ??= readDigests(join(this.dir, 'digests.json'));
    return this.knownDigests;
  }

  derived<T>(name: string, make: () => T, valid: (x: unknown) => x is T): T {
    const file = join(this.dir, 'derived', `${name}.json`);
    try {
      const kept = (JSON.parse(readFileSync(file, 'utf8')) as { value: unknown }).value;
      if (valid(kept)) return kept;
    } catch {
      // not made yet, or damaged: made again
    }
    const value = make();
    try {
      mkdirSync(join(this.dir, 'derived'), { recursive: true });
      writeBeside(file, JSON.stringify({ value }));
    } catch {
      // a cache this process cannot write to: made again next time
    }
    return value;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.fetcher?.close();
  }

  private fetchedPath(path: string): string {
    return join(this.dir, 'fetched', createHash('sha256').update(path).digest('hex'));
  }

  private fetch(path: string, member: TarMember): FileSource {
    const kept = this.fetchedPath(path);
    if (existsSync(kept)) return FileSource.open(kept);
    if (!this.fetcher) {
      throw new ScratchifyError(
        'ENGINE_UNAVAILABLE',
        `${path}: only part of it is in the cache of ${this.description}, and no engine to fetch it from`,
        {
          hint: 'start the engine the image is in',
        },
      );
    }
    const content = this.fetcher.one(path);
    if (content.length !== member.size) {
      throw new ScratchifyError(
        'CACHE_DAMAGED',
        `${path}: the engine gave ${content.length} bytes, the image's index says ${member.size}`,
        {
          hint: 'the image changed under its ID, or its cache is damaged: run scratchify cache prune, then again',
        },
      );
    }
    return FileSource.open(this.keepFetched(path, content));
  }

  private keepFetched(path: string, content: Buffer): string {
    const file = this.fetchedPath(path);
    mkdirSync(join(this.dir, 'fetched'), { recursive: true });
    writeBeside(file, content);
    return file;
  }
}

/**
 * Written beside and renamed: another process reading the same entry never sees half a file. The name's pid and
 * `.tmp` let `cache prune` remove one a killed process left.
 */
function writeBeside(file: string, data: string | Buffer): void {
  writeFileSync(`${file}.${process.pid}.tmp`, data);
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** Digests kept by earlier runs; none when there is no file yet (or a damaged one: they are made again). */
function readDigests(file: string): Record<string, [string, string]> {
  try {
    const t = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return t && typeof t === 'object' && !Array.isArray(t) ? (t as Record<string, [string, string]>) : {};
  } catch {
    return {};
  }
}

/** True when the cache kept every byte of the file. */
function whole(m: TarMember): boolean {
  return m.size === 0 || (m.keep !== undefined && m.keep[0] === 0 && m.keep[1] === m.size);
}

/** A file of the cache: reads within what was kept come from the store; any other read fetches the whole file. */
class SparseSource implements ByteSource {
  readonly size: number;
  bytesRead = 0;
  private full?: FileSource;

  constructor(
    private readonly fd: number,
    private readonly member: TarMember,
    private readonly fetch: () => FileSource,
  ) {
    this.size = member.size;
  }

  read(position: number, length: number): Buffer {
    return readThrough(this, position, length);
  }

  readInto(target: Buffer, position: number): number {
    const want = Math.max(0, Math.min(target.length, this.size - position));
    if (want === 0) return 0;
    if (!this.full) {
      const k = this.member.keep ?? [];
      for (let i = 0; i < k.length; i += 3) {
        if (position >= k[i] && position + want <= k[i] + k[i + 1]) {
          const n = readAll(this.fd, target, want, k[i + 2] + position - k[i]);
          this.bytesRead += n;
          return n;
        }
      }
      this.full = this.fetch();
    }
    const n = this.full.readInto(target.subarray(0, want), position);
    this.bytesRead += n;
    return n;
  }

  close(): void {
    this.full?.close();
  }
}

function readAll(fd: number, target: Buffer, want: number, at: number): number {
  const src = new FileSource(fd, { offset: at, size: want }, false);
  return src.readInto(target.subarray(0, want), 0);
}
