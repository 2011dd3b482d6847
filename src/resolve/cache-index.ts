import type { ElfFile } from '../elf/file.js';
import type { Root } from '../rootfs/root.js';
import { acceptsCacheFlags, CacheFormatError, type CacheEntry, parseLdCache } from './ldcache.js';

/** ld.so.cache files are a few hundred KB; anything far larger is not one. */
const MAX_CACHE_BYTES = 64 << 20;

/**
 * The root's /etc/ld.so.cache as the loader consults it: read once on first use, indexed by name, and each
 * answer kept by name and class:machine, since thousands of searches ask for the same few libraries. An entry
 * counts for an object only when its flags fit the object's ABI; a glibc-hwcaps subdirectory asked for wins.
 */
export class LdCacheIndex {
  private index?: Map<string, CacheEntry[]>;
  private readonly answers = new Map<string, Map<number, CacheEntry | undefined>>();

  constructor(
    private readonly root: Root,
    private readonly hwcaps: readonly string[],
    private readonly warnings: string[],
  ) {}

  lookup(elf: ElfFile, name: string): CacheEntry | undefined {
    let byAbi = this.answers.get(name);
    if (!byAbi) this.answers.set(name, (byAbi = new Map()));
    const abi = elf.class * 0x10000 + elf.machine;
    if (byAbi.has(abi)) return byAbi.get(abi);
    this.index ??= this.load();
    const ok = (this.index.get(name) ?? []).filter((e) => acceptsCacheFlags(elf, e.flags));
    let hit: CacheEntry | undefined;
    for (const sub of this.hwcaps) {
      hit = ok.find((e) => e.hwcapsDir === sub);
      if (hit) break;
    }
    hit ??= ok.find((e) => e.hwcapsDir === undefined && e.legacyHwcap === 0n);
    byAbi.set(abi, hit);
    return hit;
  }

  private load(): Map<string, CacheEntry[]> {
    const index = new Map<string, CacheEntry[]>();
    const buf = this.root.readBytes('/etc/ld.so.cache', MAX_CACHE_BYTES);
    if (!buf) return index;
    try {
      for (const e of parseLdCache(buf)) {
        const list = index.get(e.name);
        if (list) list.push(e);
        else index.set(e.name, [e]);
      }
    } catch (e) {
      if (!(e instanceof CacheFormatError)) throw e;
      this.warnings.push(
        `/etc/ld.so.cache in ${this.root.description} is not a cache the loader can read (${e.message}); ignored, as ld.so ignores it`,
      );
    }
    return index;
  }
}
