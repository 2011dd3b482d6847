import type { Engine } from './engine.js';

/**
 * Images and containers a command made and must remove: at the end, on error, and on Ctrl-C or SIGTERM (the
 * handler removes them, then exits with the signal's status, as a shell would report it).
 */
export class Leftovers {
  private readonly images = new Set<string>();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    void this.remove().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };

  constructor(private readonly engine: Engine) {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  image(tag: string): string {
    this.images.add(tag);
    return tag;
  }

  async remove(): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    const tags = [...this.images];
    this.images.clear();
    if (tags.length) await this.engine.exec(['rmi', '-f', ...tags], { timeout: 120_000 });
  }
}
