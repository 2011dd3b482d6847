import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ScratchifyError } from '../errors.js';
import type { BroughtIn } from './bring-in.js';
import type { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import { runProber } from './service.js';

/** One `--volume SOURCE:/path[:ro]`: a named volume or a directory of this machine's, mounted at `target`. */
export interface VolumeSpec {
  text: string;
  source: string;
  target: string;
  readOnly: boolean;
}

export function parseVolume(text: string): VolumeSpec {
  const parts = text.split(':');
  const [source, target, mode] = parts;
  const ok =
    parts.length >= 2 && parts.length <= 3 && source && target?.startsWith('/') && (mode === undefined || mode === 'ro' || mode === 'rw');
  if (!ok)
    throw new ScratchifyError('USAGE', `--volume ${text}: not SOURCE:/path[:ro]`, {
      hint: 'name a volume or a directory of this machine, then where the service finds it: --volume pgdata:/var/lib/postgresql/data',
    });
  return { text, source, target, readOnly: mode === 'ro' };
}

/** Refuses, before any work, a volume that is not there: the engine would make an empty one and hide the mistake. */
export async function checkVolume(engine: Engine, v: VolumeSpec): Promise<void> {
  if (isAbsolute(v.source)) {
    if (!existsSync(v.source))
      throw new ScratchifyError('INPUT_NOT_FOUND', `--volume ${v.text}: ${v.source} does not exist on this machine`, {
        hint: 'give an existing directory, or the name of a volume',
      });
    return;
  }
  const r = await engine.exec(['volume', 'inspect', v.source], { timeout: 60_000 });
  if (r.exitCode !== 0)
    throw new ScratchifyError('INPUT_NOT_FOUND', `--volume ${v.text}: ${engine.name} has no volume named ${v.source}`, {
      hint: `create and fill it first (${engine.name} volume ls lists them), or give a directory's absolute path`,
    });
}

/**
 * A copy of each volume for one run, so the base's run and the scratch image's start from the same data and
 * neither sees what the other wrote. The copy is made by the probe client (owners, modes, links and times kept)
 * in a container from `image` that mounts both, as root; the copies are removed with `leftovers`.
 */
export async function snapshotVolumes(
  engine: Engine,
  specs: VolumeSpec[],
  image: string,
  prober: BroughtIn,
  leftovers: Leftovers,
): Promise<string[]> {
  const out: string[] = [];
  for (const v of specs) {
    const copy = leftovers.volume(`scratchify-volume-${randomBytes(6).toString('hex')}`);
    const made = await engine.exec(['volume', 'create', copy], { timeout: 60_000 });
    if (made.exitCode !== 0)
      throw new ScratchifyError('ENGINE_UNAVAILABLE', `--volume ${v.text}: could not create a copy (${made.stderr.trim()})`, {
        hint: 'check the engine and free disk space',
      });
    const answer = await runProber<{ copied: number }>(
      engine,
      image,
      prober,
      { copy: { from: '/.scratchify-from', to: '/.scratchify-to' } },
      { network: 'none', mounts: ['-v', `${v.source}:/.scratchify-from:ro`, '-v', `${copy}:/.scratchify-to`], timeout: 600, leftovers },
    );
    if (!answer)
      throw new ScratchifyError('ENGINE_UNAVAILABLE', `--volume ${v.text}: could not copy it for the run`, {
        hint: 'check the engine and free disk space',
      });
    out.push(`${copy}:${v.target}${v.readOnly ? ':ro' : ''}`);
  }
  return out;
}
