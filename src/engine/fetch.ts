import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import type { Fetcher } from '../rootfs/sparse.js';
import { indexTar, TarBackend } from '../rootfs/tar.js';
import { fileCollector, TarStream } from '../rootfs/tar-stream.js';
import { Leftovers } from './cleanup.js';
import { type Engine, NEVER_RUNS } from './engine.js';

/** A file of an image is at most this large when fetched alone (a bigger one comes through a whole export). */
const MAX_ONE = 2 * 1024 ** 3;

/**
 * Fetches whole files of an image from the engine when its cache kept only part of them: one through `cp` from a
 * container created (never started) on first need, many through one `export` of it. Synchronous, because files
 * are read synchronously; the container goes when the process ends, also on Ctrl-C.
 */
export function imageFetcher(engine: Engine, imageId: string, ref: string): Fetcher {
  let cid: string | undefined;
  const leftovers = new Leftovers(engine);
  const run = (args: string[], stdout: 'pipe' | number = 'pipe', maxBuffer = 64 << 20) => {
    const [cmd, argv] = engine.argv(args);
    const r = spawnSync(cmd, argv, { stdio: ['ignore', stdout, 'pipe'], maxBuffer, timeout: 600_000 });
    if (r.status !== 0) {
      const why = String(r.stderr ?? r.error?.message ?? '')
        .trim()
        .split('\n')
        .pop();
      throw new ScratchifyError(
        'ENGINE_UNAVAILABLE',
        `--base ${ref}: ${engine.name} ${args[0]} failed while reading a file of the image (${why})`,
        {
          hint: 'check the engine, then run again',
        },
      );
    }
    return r.stdout as Buffer | null;
  };
  const removeContainer = () => {
    if (!cid) return;
    spawnSync(...engine.argv(['rm', '-f', cid]), { stdio: 'ignore', timeout: 60_000 });
    leftovers.forget(cid);
    cid = undefined;
  };
  let onExit = false;
  const container = (): string => {
    if (cid) return cid;
    cid = leftovers.container(String(run(['create', imageId, NEVER_RUNS])).trim());
    if (!onExit) process.once('exit', removeContainer);
    onExit = true;
    return cid;
  };
  return {
    close: removeContainer,
    one(path) {
      const tar = run(['cp', `${container()}:${path}`, '-'], 'pipe', MAX_ONE + (1 << 20))!;
      let content: Buffer | undefined;
      const chunks: Buffer[] = [];
      const s = new TarStream({
        member: () => undefined,
        data: (c) => chunks.push(c),
        end: () => (content ??= Buffer.concat(chunks)),
      });
      s.push(tar);
      s.finish();
      return content ?? Buffer.alloc(0);
    },
    // The export streamed from the engine as it comes, only the wanted files held: no copy of the image on disk.
    async manyAsync(paths, each) {
      const s = fileCollector(paths, each);
      try {
        await engine.exportStream(container(), (chunk) => s.push(chunk));
        s.finish();
      } catch (e) {
        if (e instanceof ScratchifyError) throw e;
        throw new ScratchifyError(
          'ENGINE_UNAVAILABLE',
          `--base ${ref}: ${engine.name} export failed while reading files of the image (${(e as Error).message})`,
          {
            hint: 'check the engine and free disk space, then run again',
            cause: e,
          },
        );
      }
    },
    many(paths, each) {
      const dir = leftovers.dir(mkdtempSync(join(tmpdir(), 'scratchify-fetch-')));
      try {
        const file = join(dir, 'export.tar');
        const fd = openSync(file, 'w');
        try {
          run(['export', container()], fd);
        } finally {
          closeSync(fd);
        }
        const tar = new TarBackend(`the export of ${ref}`, file, indexTar(file));
        try {
          for (const p of paths) {
            if (tar.lstat(p)?.type !== 'file') continue;
            const src = tar.open(p);
            each(p, src.read(0, src.size));
          }
        } finally {
          tar.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        leftovers.forget(dir);
      }
    },
  };
}
