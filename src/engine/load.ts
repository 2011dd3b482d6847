import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import { firstLine } from './image.js';

/**
 * Loads a docker-archive into the engine (`docker load`, `podman load`), which tags it as the archive names it.
 * The archive goes through a temporary file (the engine CLI reads a file or its stdin; a file lets Ctrl-C remove
 * it with the rest). Returns what the engine called the image.
 */
export async function loadArchive(engine: Engine, archive: Buffer, ref: string): Promise<string> {
  const leftovers = new Leftovers(engine);
  const dir = leftovers.dir(mkdtempSync(join(tmpdir(), 'scratchify-load-')));
  try {
    const file = join(dir, 'image.tar');
    writeFileSync(file, archive);
    const out = await engine.run(['load', '-i', file], { timeout: 600_000 });
    return /Loaded image(?:\(s\))?: *(\S+)/.exec(out)?.[1] ?? ref;
  } catch (e) {
    await leftovers.settle();
    throw new ScratchifyError('OUTPUT_FAILED', `${engine.name} load of ${ref}: ${firstLine(e)}`, {
      hint: `write it to a file with --image docker-archive:image.tar:${ref} instead, then: ${engine.name} load -i image.tar`,
      cause: e,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    leftovers.forget(dir);
  }
}
