import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecaError } from 'execa';
import { ScratchifyError } from '../errors.js';
import { platformOfImage } from '../elf/platform.js';
import { onLoopback } from './registry.js';
import type { BaseConfig } from '../generate/base-config.js';
import { Root } from '../rootfs/root.js';
import { indexTar, TarBackend, TarFormatError, type TarIndex } from '../rootfs/tar.js';
import { cacheDir, formatSize, maxBytes, pruneCache, touchEntry, withEntryLock } from './cache.js';
import { Leftovers } from './cleanup.js';
import { dropInitLayer } from './init-layer.js';
import type { Engine } from './engine.js';

export interface ImageInfo {
  ref: string;
  id: string;
  repoDigests: string[];
  /** amd64, arm64, ... as the engine reports it. */
  architecture?: string;
  /** The image's platform, `linux/arm64`, `linux/arm/v7`, from its configuration. */
  platform?: string;
  /** The reference a Dockerfile pins: a multi-platform base's list at its digest, when the image came from one. */
  pinned?: string;
  /** Then also this platform's own image, at its digest (what a builder that cannot pick from a list is given). */
  platformRef?: string;
  /** The image's run configuration: what `run` does without flags. */
  config: BaseConfig;
}

interface RawHealthcheck {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

interface RawImage {
  Id: string;
  RepoDigests?: string[];
  Architecture?: string;
  Variant?: string;
  Os?: string;
  Config?: {
    User?: string;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
    StopSignal?: string;
    Labels?: Record<string, string> | null;
    Volumes?: Record<string, unknown> | null;
    Healthcheck?: RawHealthcheck | null;
  } | null;
  /** Podman reports the health check beside Config. */
  HealthCheck?: RawHealthcheck | null;
}

/** The engine's image config in scratchify's terms; Docker and Podman spell it alike, but for the health check. */
export function imageConfig(raw: RawImage): BaseConfig {
  const c = raw.Config ?? {};
  const h = c.Healthcheck ?? raw.HealthCheck ?? undefined;
  return {
    user: c.User || undefined,
    entrypoint: c.Entrypoint?.length ? c.Entrypoint : undefined,
    cmd: c.Cmd?.length ? c.Cmd : undefined,
    env: c.Env ?? [],
    workingDir: c.WorkingDir && c.WorkingDir !== '/' ? c.WorkingDir : undefined,
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
    stopSignal: c.StopSignal || undefined,
    labels: c.Labels ?? {},
    volumes: Object.keys(c.Volumes ?? {}).sort(),
    healthcheck: h?.Test?.length
      ? { test: h.Test, interval: h.Interval, timeout: h.Timeout, startPeriod: h.StartPeriod, retries: h.Retries }
      : undefined,
  };
}

function firstLine(e: unknown): string {
  const err = e as ExecaError;
  return String(err.stderr || err.shortMessage || err)
    .trim()
    .split('\n')[0];
}

/** The image the engine has under `ref`, or undefined: never pulls. */
export async function localImage(engine: Engine, ref: string): Promise<ImageInfo | undefined> {
  const r = await engine.exec(['image', 'inspect', ref], { timeout: 60_000 });
  if (r.exitCode !== 0) return undefined;
  return fromRaw(ref, (JSON.parse(r.stdout) as RawImage[])[0]);
}

/** The image's ID, digests and configuration; pulls it once if the engine does not have it. */
export async function inspectImage(engine: Engine, ref: string): Promise<ImageInfo> {
  // Plain `image inspect` prints a JSON array with both engines (podman ignores a {{json .}} format).
  const inspect = async () => {
    const parsed = JSON.parse(await engine.run(['image', 'inspect', ref])) as RawImage[];
    return parsed[0];
  };
  let raw: Awaited<ReturnType<typeof inspect>>;
  try {
    raw = await inspect();
  } catch (first) {
    try {
      // A registry on loopback speaks plain HTTP: docker allows it, podman must be told.
      const insecure = engine.name === 'podman' && onLoopback(ref) ? ['--tls-verify=false'] : [];
      await engine.run(['pull', ...insecure, ref], { timeout: 300_000 });
      raw = await inspect();
    } catch (e) {
      throw new ScratchifyError(
        'IMAGE_NOT_FOUND',
        `--base ${ref}: ${engine.name} has no such image and could not pull it (${firstLine(e) || firstLine(first)})`,
        {
          hint: `build, import or pull it first (e.g. ${engine.name} image ls)`,
          cause: e,
        },
      );
    }
  }
  return fromRaw(ref, raw);
}

function fromRaw(ref: string, raw: RawImage): ImageInfo {
  return {
    ref,
    id: raw.Id,
    repoDigests: raw.RepoDigests ?? [],
    architecture: raw.Architecture,
    platform: platformOfImage(raw.Os, raw.Architecture, raw.Variant),
    config: imageConfig(raw),
  };
}

/** The cache entry (directory) that holds an image's export. */
export function cacheEntryDir(engine: Engine, info: ImageInfo): string {
  return join(cacheDir(), 'images', `${engine.name}-${info.id.replace(/^sha256:/, '')}`);
}

/** Progress on a terminal: what is being done, each line replacing the last until `last`. */
export type Progress = (line: string, last?: boolean) => void;

/**
 * The image's filesystem as a Root, without running anything from it: `create` a container (never started),
 * `export` its flattened filesystem once into a cache keyed by image ID, and index the tarball's headers.
 * A second run reads only the index. Two processes never export into one entry at once (a lock), and after an
 * export the cache is pruned to its bound, least recently used first.
 */
export async function openImageRoot(engine: Engine, info: ImageInfo, progress?: Progress): Promise<Root> {
  const dir = cacheEntryDir(engine, info);
  const tar = join(dir, 'rootfs.tar');
  const indexFile = join(dir, 'index.json');
  const cached = (): TarIndex | undefined => {
    if (!existsSync(indexFile) || !existsSync(tar)) return undefined;
    try {
      return JSON.parse(readFileSync(indexFile, 'utf8')) as TarIndex;
    } catch {
      return undefined; // a damaged cache is rebuilt
    }
  };
  let index = cached();
  if (!index) {
    index = await withEntryLock(dir, async () => cached() ?? (await exportInto(engine, info, dir, tar, indexFile, progress)));
    pruneCache(maxBytes(), dir);
  }
  touchEntry(dir, { engine: engine.name, ref: info.ref, id: info.id });
  // Also on an index cached before the placeholders were known.
  dropInitLayer(index);
  return new Root(new TarBackend(`image ${info.ref}`, tar, index));
}

async function exportInto(
  engine: Engine,
  info: ImageInfo,
  dir: string,
  tar: string,
  indexFile: string,
  progress?: Progress,
): Promise<TarIndex> {
  mkdirSync(dir, { recursive: true });
  const tmp = `${tar}.${process.pid}.tmp`;
  // Ctrl-C during the export removes the partial file, the created container and the lock (held by our caller).
  const leftovers = new Leftovers(engine);
  leftovers.dir(tmp);
  leftovers.dir(`${dir}.lock`);
  try {
    let cid: string | undefined;
    let removed: Promise<unknown> = Promise.resolve();
    const ticker =
      progress &&
      setInterval(() => {
        const size = statSync(tmp, { throwIfNoEntry: false })?.size ?? 0;
        progress(`exporting ${info.ref}: ${formatSize(size)}`);
      }, 250);
    try {
      // The command is never run: export needs a container, and create needs some command to record.
      cid = leftovers.container((await engine.run(['create', info.id, '/scratchify-never-runs'])).trim());
      // Through stdout into our own file (export -o writes elsewhere and renames), so its growth is progress.
      await engine.run(['export', cid], { timeout: 600_000, stdoutFile: tmp });
    } catch (e) {
      rmSync(tmp, { force: true });
      await leftovers.settle();
      throw new ScratchifyError('ENGINE_UNAVAILABLE', `--base ${info.ref}: ${engine.name} could not export the image (${firstLine(e)})`, {
        hint: 'check the engine and free disk space',
        cause: e,
      });
    } finally {
      if (ticker) clearInterval(ticker);
      // The container goes away while the tarball is indexed.
      if (cid) removed = engine.run(['rm', '-f', cid]).catch(() => undefined);
    }
    let index: TarIndex;
    try {
      progress?.(`indexing ${info.ref}: ${formatSize(statSync(tmp).size)}`);
      index = indexTar(tmp);
      progress?.(`exported ${info.ref}: ${formatSize(statSync(tmp).size)}, ${Object.keys(index).length} files indexed`, true);
    } catch (e) {
      rmSync(tmp, { force: true });
      if (!(e instanceof TarFormatError)) throw e;
      throw new ScratchifyError(
        'ENGINE_UNAVAILABLE',
        `--base ${info.ref}: ${engine.name} exported something that is not a readable tar archive (${e.message})`,
        {
          hint: 'check the engine and free disk space, then run again',
          cause: e,
        },
      );
    } finally {
      await removed;
    }
    renameSync(tmp, tar);
    writeFileSync(`${indexFile}.${process.pid}.tmp`, JSON.stringify(index));
    renameSync(`${indexFile}.${process.pid}.tmp`, indexFile);
    return index;
  } finally {
    // Finished, or failed and cleaned up here: nothing of it is left over (the lock is our caller's to release).
    leftovers.forgetAll();
    await leftovers.remove();
  }
}
