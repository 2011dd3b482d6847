import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';

/** The image cache's bound when SCRATCHIFY_CACHE_MAX does not set one: least recently used entries go first. */
export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
/** How long a second process waits for another's export of the same image. */
const LOCK_WAIT_MS = 15 * 60_000;

export function cacheDir(): string {
  return process.env.SCRATCHIFY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'scratchify');
}

function imagesDir(): string {
  return join(cacheDir(), 'images');
}

export interface CacheEntry {
  dir: string;
  engine: string;
  ref: string;
  id: string;
  bytes: number;
  lastUsed: Date;
}

/** `500M`, `2G`, `1.5GiB`, `0`, or plain bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m)
    throw new ScratchifyError('USAGE', `${JSON.stringify(text)}: not a size`, {
      hint: 'give bytes or a number with K, M, G or T (1024-based): 500M, 2G',
    });
  return Math.round(Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' '));
}

export function maxBytes(): number {
  const env = process.env.SCRATCHIFY_CACHE_MAX;
  return env ? parseSize(env) : DEFAULT_MAX_BYTES;
}

export function formatSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Every entry, most recently used first. */
export function listCache(): CacheEntry[] {
  const root = imagesDir();
  if (!existsSync(root)) return [];
  const out: CacheEntry[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    let meta: { engine?: string; ref?: string; id?: string; lastUsed?: number } = {};
    try {
      meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    } catch {
      // an entry from before meta.json, or one being written: its name still says engine and ID
    }
    let bytes = 0;
    let newest = 0;
    // Files fetched since the export sit one level down.
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const st = statSync(join(dir, f), { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      bytes += st.size;
      newest = Math.max(newest, st.mtimeMs);
    }
    const [engine, id] = name.split(/-(.*)/s);
    out.push({
      dir,
      engine: meta.engine ?? engine,
      ref: meta.ref ?? '?',
      id: meta.id ?? `sha256:${id}`,
      bytes,
      lastUsed: new Date(meta.lastUsed ?? newest),
    });
  }
  return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
}

/** Records a use of the entry (for least-recently-used pruning). */
export function touchEntry(dir: string, meta: { engine: string; ref: string; id: string }): void {
  const tmp = join(dir, `meta.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify({ ...meta, lastUsed: Date.now() }));
  renameSync(tmp, join(dir, 'meta.json'));
}

/** A lock, or a temporary file named for its writer's pid, whose process is gone. */
function stale(file: string): boolean {
  const pid = file.endsWith('.lock') ? Number(readFileSync(file, 'utf8') || 0) : Number(/\.(\d+)\.tmp$/.exec(file)?.[1] ?? 0);
  return pid > 0 && !alive(pid);
}

/** An entry is complete with its store and its index (written last); one without both is made again. */
export function entryComplete(dir: string): boolean {
  return existsSync(join(dir, 'store.bin')) && existsSync(join(dir, 'sparse.json'));
}

/**
 * What an interrupted export left (before it could clean up, or from a process killed outright): its lock and
 * partial files, once their process is gone, and an entry that never got its store and index.
 */
function removeStale(): void {
  const root = imagesDir();
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.endsWith('.lock')) {
      if (stale(path)) rmSync(path, { force: true });
      continue;
    }
    if (!statSync(path).isDirectory()) continue;
    for (const f of readdirSync(path, { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.tmp') && stale(join(path, f))) rmSync(join(path, f), { force: true });
    }
    if (!entryComplete(path) && !existsSync(`${path}.lock`)) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Removes least recently used entries until the cache holds at most `max` bytes, never the entry `keep`; first
 * what interrupted exports left behind.
 */
export function pruneCache(max: number, keep?: string): CacheEntry[] {
  removeStale();
  pruneBlobs(max);
  const entries = listCache();
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const removed: CacheEntry[] = [];
  for (const e of [...entries].reverse()) {
    if (total <= max) break;
    if (e.dir === keep || existsSync(`${e.dir}.lock`)) continue;
    rmSync(e.dir, { recursive: true, force: true });
    total -= e.bytes;
    removed.push(e);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fill` under an exclusive lock on the entry, so two processes never export the same image into it at
 * once: the second waits for the first and then finds the entry filled. A lock whose process is gone is taken over.
 */
export async function withEntryLock<T>(dir: string, fill: () => Promise<T>): Promise<T> {
  mkdirSync(imagesDir(), { recursive: true });
  const lock = `${dir}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(lock, 'utf8') || 0);
      if (holder && !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw new ScratchifyError(
          'ENGINE_UNAVAILABLE',
          `another scratchify (pid ${holder}) has been exporting into ${dir} for over ${LOCK_WAIT_MS / 60_000} minutes`,
          { hint: `remove ${lock} if that process is gone` },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fill();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * The layers read from registries (`blobs/`, by digest) held to the same bound on their own, least recently used
 * first (a blob's time is set each time it is used); a partial download whose process is gone goes too.
 */
function pruneBlobs(max: number): void {
  const dir = join(cacheDir(), 'blobs');
  if (!existsSync(dir)) return;
  const blobs = readdirSync(dir).map((name) => {
    const st = statSync(join(dir, name));
    return { path: join(dir, name), bytes: st.size, used: st.mtimeMs, partial: name.endsWith('.tmp') };
  });
  let total = 0;
  for (const b of blobs.sort((a, z) => z.used - a.used)) {
    if (b.partial) {
      if (stale(b.path)) rmSync(b.path, { force: true });
      continue;
    }
    total += b.bytes;
    if (total > max) rmSync(b.path, { force: true });
  }
}
