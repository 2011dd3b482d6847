import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { imageRoot } from './image-root.js';

/**
 * The digests of the image written from imageRoot(): committed, so that any change to what a written image holds
 * or how it is laid out shows here. Changed on purpose, they are updated with the change that made them move.
 */
const GOLDEN = {
  manifest: 'sha256:a5550441b0cf61e72bfdb044bac0fa6d54aa3e9f7c65f15764abf14e36a336cf',
  config: 'sha256:d0258d8fa73610ae9b95e0c7c2f2cc2e7f053633a2ea1bb736746aa98a6a0ea2',
};

interface Written {
  image: { manifest: string; config: string; layers: { name: string; digest: string; size: number }[] };
}

/** generate --image from a fresh copy of the root, in a directory, umask, TMPDIR and clock of its own. */
async function write(umask: string, epoch?: string): Promise<Written> {
  const root = imageRoot();
  const cwd = mkdtempSync(join(tmpdir(), 'scratchify-golden-'));
  const r = await execa(
    'sh',
    ['-c', `umask ${umask} && exec "$@"`, 'sh', BIN, '/app/prog', '--root', root, '--image', 'oci:out', '--json'],
    {
      cwd,
      env: {
        TMPDIR: mkdtempSync(join(tmpdir(), 'scratchify-golden-tmp-')),
        ...(epoch ? { SOURCE_DATE_EPOCH: epoch } : {}),
        TZ: umask === '077' ? 'Asia/Tokyo' : 'UTC',
      },
      extendEnv: true,
      reject: false,
    },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as Written & { image: { target?: string } };
  delete out.image.target;
  const index = JSON.parse(readFileSync(join(cwd, 'out/index.json'), 'utf8')) as { manifests: { digest: string }[] };
  expect(index.manifests[0].digest).toBe(out.image.manifest);
  return out;
}

describe('a written image is the same bytes on every run', () => {
  it('the same digests from two runs with another umask, TMPDIR, directory and time zone, equal to the committed ones', async () => {
    const [a, b] = [await write('022'), await write('077')];
    expect(b.image).toEqual(a.image);
    expect(a.image.layers.map((l) => l.name)).toEqual([
      'libc6 2.36-9',
      'libc6 2.36-9: /lib64/ld-linux-x86-64.so.2',
      'libc6 2.36-9: /lib64/libc.so.6',
      'libc6 2.36-9: /lib64/libm.so.6',
      'zlib1g 1:1.2.13',
      "the program's own and unowned files",
      'the scaffold',
    ]);
    if (process.getuid?.() === 0) expect({ manifest: a.image.manifest, config: a.image.config }).toEqual(GOLDEN);
  }, 60_000);

  it('SOURCE_DATE_EPOCH moves every digest; the same epoch gives the same again', async () => {
    const [a, b, c] = [await write('022'), await write('022', '1700000000'), await write('022', '1700000000')];
    expect(b.image.manifest).not.toBe(a.image.manifest);
    expect(c.image).toEqual(b.image);
  }, 60_000);
});
