import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { Root } from '../rootfs/root.js';
import { type Fetcher, isSparseIndex, SparseBackend, type SparseIndex } from '../rootfs/sparse.js';
import { SparseBuilder } from '../rootfs/sparse-build.js';
import { TarFormatError } from '../rootfs/tar.js';
import { TarStream } from '../rootfs/tar-stream.js';
import { ELF_PROBES } from '../profiles/probes.js';
import { RUNTIME_IMPORTS } from '../runtime/needs.js';
import { cacheDir, entryComplete, formatSize, maxBytes, pruneCache, touchEntry, withEntryLock } from './cache.js';
import { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import { imageFetcher } from './fetch.js';
import { firstLine, type ImageInfo } from './image.js';
import { dropInitLayer } from './init-layer.js';

/** Progress on a terminal: what is being done, each line replacing the last until `last`. */
export type Progress = (line: string, last?: boolean) => void;

/** The files an export writes (beside, then renamed into place: the store first, the index last). */
const FILES = ['sparse.json', 'store.bin'];

/**
 * Files other than ELF whose bytes generate reads whole: configuration, the package database, the copyright
 * files an SBOM cites, the OS markers, the JVM's VM list, and the service conventions every generate reads
 * (tmpfiles.d entries and systemd's units: a unit past the first 512 bytes was fetched on each cold run).
 */
const KEEP_WHOLE = [
  /^\/etc\//,
  /^\/var\/lib\/dpkg\//,
  /^\/usr\/share\/doc\/[^/]+\/copyright$/,
  /^\/usr\/lib\/os-release$/,
  /\/jvm\.cfg$/,
  /^\/(usr\/)?lib\/tmpfiles\.d\/[^/]+\.conf$/,
  /^\/(usr\/)?lib\/systemd\/system\/[^/]+\.service$/,
];

/** The cache entry (directory) that holds what scratchify keeps of an image. */
export function cacheEntryDir(engine: Engine, info: ImageInfo): string {
  return join(cacheDir(), 'images', `${engine.name}-${info.id.replace(/^sha256:/, '')}`);
}

/**
 * The image's filesystem as a Root, without running anything from it: `create` a container (never started) and
 * read its `export` once as it streams, keeping in a cache keyed by image ID the index of every file, what the
 * ELF reader and the profiles' probes make of every ELF file, and the bytes generate reads (see SparseBuilder), a
 * tenth of the image or less. A file read beyond that is fetched whole from the engine and kept. Two processes
 * never export into one entry at once (a lock), and after an export the cache is pruned to its bound, least
 * recently used first.
 */
export async function openImageRoot(engine: Engine, info: ImageInfo, progress?: Progress): Promise<Root> {
  const dir = cacheEntryDir(engine, info);
  let cid: string | undefined;
  const leftovers = new Leftovers(engine);
  return openCachedRoot(
    { dir, ref: info.ref, id: info.id, engine: engine.name, verb: ['exporting', 'exported'], progress },
    {
      leftovers,
      // The command is never run: export needs a container, and create needs some command to record.
      async start() {
        const created = await engine.createIdle(info.id);
        // A Ctrl-C that came while the engine created it: removed here, as nothing else knows of it.
        try {
          cid = leftovers.container(created);
        } catch (e) {
          await engine.removeContainer(created);
          throw e;
        }
      },
      stream: (push) => engine.exportStream(cid!, push),
      async end() {
        if (cid) await engine.removeContainer(cid).catch(() => undefined);
      },
      failed: (e) =>
        e instanceof TarFormatError
          ? new ScratchifyError(
              'ENGINE_UNAVAILABLE',
              `--base ${info.ref}: ${engine.name} exported something that is not a readable tar archive (${e.message})`,
              { hint: 'check the engine and free disk space, then run again', cause: e },
            )
          : new ScratchifyError('ENGINE_UNAVAILABLE', `--base ${info.ref}: ${engine.name} could not export the image (${firstLine(e)})`, {
              hint: 'check the engine and free disk space',
              cause: e,
            }),
    },
    imageFetcher(engine, info.id, info.ref),
  );
}

/** Where an image's filesystem comes from, the first time: a stream of one tar of it, and what to do around it. */
export interface RootSource {
  /** Holds what the reading makes, removed on Ctrl-C. */
  leftovers: Leftovers;
  start(): Promise<void>;
  stream(push: (chunk: Buffer) => void): Promise<void>;
  end(): Promise<void>;
  /** The error a failed stream is reported as. */
  failed(e: unknown): ScratchifyError;
}

/**
 * An image's Root from its cache entry `dir`, made first from `source` when the entry is missing or damaged (under
 * a lock, two processes never fill one entry at once; the cache is pruned to its bound after).
 */
export async function openCachedRoot(
  entry: { dir: string; ref: string; id: string; engine: string; verb: [string, string]; progress?: Progress },
  source: RootSource,
  fetcher: Fetcher,
): Promise<Root> {
  const index = await cachedIndex(entry, source);
  return new Root(new SparseBackend(`image ${entry.ref}`, entry.dir, index, fetcher));
}

/** The index of the cache entry `dir`, made first from `source` when it is missing or damaged. */
export async function cachedIndex(
  entry: { dir: string; ref: string; id: string; engine: string; verb: [string, string]; progress?: Progress },
  source: RootSource,
  /** Makes the entry's store (written to tmp('store.bin')) and returns its index, instead of reading source's stream. */
  make?: (tmp: (f: string) => string) => Promise<SparseIndex>,
): Promise<SparseIndex> {
  const { dir } = entry;
  const cached = (): SparseIndex | undefined => {
    if (!entryComplete(dir)) return undefined;
    try {
      const index = JSON.parse(readFileSync(join(dir, 'sparse.json'), 'utf8')) as unknown;
      return isSparseIndex(index) ? index : undefined;
    } catch {
      return undefined; // a damaged cache is made again
    }
  };
  let index = cached();
  if (!index) {
    index = await withEntryLock(dir, async () => cached() ?? (await fillEntry(entry, source, make)));
    pruneCache(maxBytes(), dir);
  } else await source.leftovers.remove();
  touchEntry(dir, { engine: entry.engine, ref: entry.ref, id: entry.id });
  return index;
}

async function fillEntry(
  entry: { dir: string; ref: string; verb: [string, string]; progress?: Progress },
  source: RootSource,
  make?: (tmp: (f: string) => string) => Promise<SparseIndex>,
): Promise<SparseIndex> {
  const { dir, ref, progress } = entry;
  mkdirSync(dir, { recursive: true });
  // What an older scratchify kept here (a whole export) goes first.
  for (const f of ['rootfs.tar', 'index.json', 'fetched', 'derived', 'digests.json', ...FILES])
    rmSync(join(dir, f), { recursive: true, force: true });
  const tmp = (f: string) => join(dir, `${f}.${process.pid}.tmp`);
  // Ctrl-C during the read removes the partial files, what the source made and the lock (held by our caller).
  const { leftovers } = source;
  for (const f of FILES) leftovers.dir(tmp(f));
  leftovers.dir(`${dir}.lock`);
  let storeFd: number | undefined;
  let builder: SparseBuilder | undefined;
  let streamed = 0;
  const ticker = progress && setInterval(() => progress(`${entry.verb[0]} ${ref}: ${formatSize(streamed)}`), 250);
  try {
    let index: SparseIndex;
    try {
      await source.start();
      if (make) {
        index = await make(tmp);
        writeFileSync(tmp('sparse.json'), JSON.stringify(index));
        for (const f of ['store.bin', 'sparse.json']) renameSync(tmp(f), join(dir, f));
        return index;
      }
      // The partial files appear once the source has begun: one killed outright leaves both, or neither.
      storeFd = openSync(tmp('store.bin'), 'w');
      builder = new SparseBuilder(storeFd, {
        parse: { versions: true, imports: RUNTIME_IMPORTS },
        keepWhole: (p) => KEEP_WHOLE.some((r) => r.test(p)),
        probes: ELF_PROBES,
      });
      const stream = new TarStream(builder);
      await source.stream((chunk) => {
        stream.push(chunk);
        streamed += chunk.length;
      });
      const members = stream.finish();
      dropInitLayer(members);
      index = builder.result(members);
    } catch (e) {
      await leftovers.settle();
      if (e instanceof ScratchifyError) throw e;
      throw source.failed(e);
    } finally {
      if (ticker) clearInterval(ticker);
      if (storeFd !== undefined) closeSync(storeFd);
    }
    progress?.(`${entry.verb[1]} ${ref}: ${formatSize(streamed)}, kept ${formatSize(builder!.stored)} of it`, true);
    writeFileSync(tmp('sparse.json'), JSON.stringify(index));
    // The index last: an entry is complete once it is there.
    for (const f of ['store.bin', 'sparse.json']) renameSync(tmp(f), join(dir, f));
    return index;
  } finally {
    await source.end();
    // Finished, or failed and cleaned up here: nothing of it is left over (the lock is our caller's to release).
    for (const f of FILES) rmSync(tmp(f), { force: true });
    leftovers.forgetAll();
    await leftovers.remove();
  }
}
