import type { EntryType } from './backend.js';

/** One member of a tar archive as an index holds it: what it is and where its data sits. */
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
  /**
   * In an image's cache, which of the file's bytes it kept, as flat triples: offset in the file, length, offset in
   * the cache's store. Anything else is fetched from the engine when read.
   */
  keep?: number[];
}

export type TarIndex = Record<string, TarMember>;
