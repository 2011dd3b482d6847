import type { ElfFile, ParseOptions } from '../elf/file.js';
import type { ByteSource } from '../elf/source.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Entry {
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Raw access to a filesystem tree. Every path is absolute inside the tree, normalized, and free of symlinks
 * in its parent components (Root guarantees that), so a backend never resolves a link itself.
 */
export interface FsBackend {
  /** What the user named: "directory /srv/root" or "image nginx:1.25 (sha256:…)". */
  readonly description: string;
  lstat(path: string): Entry | undefined;
  readlink(path: string): string;
  readdir(path: string): string[];
  /** Names seen by readdir that are not valid UTF-8 (left out of readdir), as escaped text, by directory. */
  readonly undecodable?: Map<string, string[]>;
  /** Opens a regular file; `size`, when given, is its size from lstat (saves an fstat per file). */
  open(path: string, size?: number): ByteSource;
  /** What an image's cache already knows of the tree (none for a plain directory or archive). */
  readonly cache?: CacheHooks;
  /** Lets go of what reading holds (descriptors, a container of the engine's); reading again takes them anew. */
  close?(): void;
}

/**
 * What an image's cache kept of a tree, offered to whoever reads it: facts found once when the image was read
 * (digests, parsed ELF files, probes, path strings), whole files brought in at once, and data made from the files
 * and kept beside them. One object, so a backend either has a cache or has none.
 */
export interface CacheHooks {
  /** Digests of a regular file the backend already knows (an image's cache hashed it once). */
  digests(path: string, algorithms: string[]): string[] | undefined;
  /** Learns the SHA-1 and SHA-256 of many files at once, before they are asked one by one (an SBOM's files). */
  prepareDigests(paths: string[]): void;
  /** An ELF file as the reader parses it with `options`, when the backend already knows (or the error it gives). */
  elf(path: string, options?: ParseOptions): ElfFile | undefined;
  /** What the profile probe `name` found in an ELF file when the backend knows (null: nothing), else undefined. */
  probe(path: string, name: string): unknown;
  /** The path strings of an ELF file's read-only data, when the backend already knows them. */
  pathStrings(path: string): string[] | undefined;
  /** Brings in the contents of many files at once, before they are read one by one (a bundle). */
  prefetch(paths: string[]): void;
  /** The same, as a stream the engine sends (no copy of the image on disk), where the source can. */
  prefetchAsync(paths: string[]): Promise<void>;
  /**
   * Data made from the tree's files by `make` (dpkg's database, read), kept with an image's cache and made once
   * for it: an image never changes under its ID. `name` carries the version of what `make` makes; `valid` checks
   * what was kept, and anything else is made again.
   */
  derived<T>(name: string, make: () => T, valid: (x: unknown) => x is T): T;
}
