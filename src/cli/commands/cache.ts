import { BaseCommand } from '../base-command.js';
import { cacheDir, formatSize, listCache, maxBytes } from '../../engine/cache.js';

export default class Cache extends BaseCommand {
  static summary = 'List the image cache: each exported image, its size and when it was last used.';
  static description =
    `generate, why and doctor read an image through one export, kept under ${'$'}SCRATCHIFY_CACHE (default ~/.cache/scratchify) so the next run reads only its index. The cache is bounded (SCRATCHIFY_CACHE_MAX, default 4G): after each export the least recently used images go first. "scratchify cache prune" empties it or shrinks it.`;
  static enableJsonFlag = true;
  static examples = ['<%= config.bin %> cache', '<%= config.bin %> cache prune --max-size 1G'];

  async run(): Promise<unknown> {
    await this.parse(Cache);
    const entries = listCache();
    const total = entries.reduce((n, e) => n + e.bytes, 0);
    if (!this.jsonEnabled()) {
      const rows = entries.map(
        (e) =>
          `${formatSize(e.bytes).padStart(10)}  ${e.lastUsed.toISOString().replace(/\.\d+Z$/, 'Z')}  ${e.engine}  ${e.ref}  ${e.id.slice(0, 19)}`,
      );
      process.stdout.write(
        `${[`${cacheDir()}: ${entries.length} image${entries.length === 1 ? '' : 's'}, ${formatSize(total)} (bound ${formatSize(maxBytes())})`, ...rows].join('\n')}\n`,
      );
    }
    return {
      dir: cacheDir(),
      bytes: total,
      maxBytes: maxBytes(),
      images: entries.map((e) => ({ ref: e.ref, id: e.id, engine: e.engine, bytes: e.bytes, lastUsed: e.lastUsed.toISOString() })),
    };
  }
}
