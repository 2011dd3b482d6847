import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { formatSize, parseSize, pruneCache } from '../../engine/cache.js';

export default class CachePrune extends BaseCommand {
  static summary = 'Empty the image cache, or remove the least recently used images until it fits a size.';
  static enableJsonFlag = true;
  static flags = {
    'max-size': Flags.string({ description: 'keep the most recently used images that fit in this size (500M, 2G); default: remove all' }),
  };

  static examples = ['<%= config.bin %> cache prune', '<%= config.bin %> cache prune --max-size 2G'];

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CachePrune);
    const removed = pruneCache(flags['max-size'] === undefined ? 0 : parseSize(flags['max-size']));
    const freed = removed.reduce((n, e) => n + e.bytes, 0);
    if (!this.jsonEnabled())
      process.stdout.write(`removed ${removed.length} image${removed.length === 1 ? '' : 's'}, ${formatSize(freed)}\n`);
    return { removed: removed.map((e) => ({ ref: e.ref, id: e.id, bytes: e.bytes })), bytes: freed };
  }
}
