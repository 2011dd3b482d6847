import { Worker } from 'node:worker_threads';

/** Bytes gathered before they go to the worker in one message. */
const BATCH = 1 << 20;

/**
 * The hashing side, as source (it runs from a string, so the bundle needs no file of its own): file starts
 * (a path), their bytes, and their ends arrive in batches, in order; the digests go back at the end.
 */
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const out = {};
let cur;
parentPort.on('message', (m) => {
  if (m === 'done') return parentPort.postMessage(out);
  const bytes = new Uint8Array(m.bytes);
  for (const [kind, a, b] of m.items) {
    if (kind === 0) cur = [a, createHash('sha1'), createHash('sha256')];
    else if (kind === 1) { cur[1].update(bytes.subarray(a, b)); cur[2].update(bytes.subarray(a, b)); }
    else out[cur[0]] = [cur[1].digest('hex'), cur[2].digest('hex')];
  }
});
`;

type Item = [0, string, 0] | [1, number, number] | [2, 0, 0];

/**
 * SHA-1 and SHA-256 of every file of an export, in a worker thread: hashing a whole image takes as long as the
 * rest of reading it, and the engine leaves most of a second core idle.
 */
export class Digester {
  private readonly worker = new Worker(WORKER, { eval: true });
  private bytes = new Uint8Array(BATCH);
  private used = 0;
  private items: Item[] = [];

  begin(path: string): void {
    this.items.push([0, path, 0]);
  }

  update(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      if (this.used === this.bytes.length) this.flush();
      const n = Math.min(chunk.length - at, this.bytes.length - this.used);
      this.bytes.set(chunk.subarray(at, at + n), this.used);
      this.items.push([1, this.used, this.used + n]);
      this.used += n;
      at += n;
    }
  }

  end(): void {
    this.items.push([2, 0, 0]);
  }

  /** Every file's [sha1, sha256], once all is hashed. */
  async finish(): Promise<Record<string, [string, string]>> {
    this.flush();
    const result = new Promise<Record<string, [string, string]>>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
    this.worker.postMessage('done');
    try {
      return await result;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the worker without waiting for digests (the export failed). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  private flush(): void {
    if (!this.items.length) return;
    const buffer = this.bytes.buffer as ArrayBuffer;
    this.worker.postMessage({ bytes: buffer, items: this.items }, [buffer]);
    this.bytes = new Uint8Array(BATCH);
    this.used = 0;
    this.items = [];
  }
}
