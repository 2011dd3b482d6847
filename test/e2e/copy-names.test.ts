import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import {
  DOCKER,
  IN_CI,
  PODMAN_LIMITS,
  PODMAN_RUN,
  dockerAnswers,
  dockerBuild,
  ensureImage,
  imageFiles,
  nginxBase,
  podmanBuild,
} from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/*
 * COPY sources are shell words, then globs, to BuildKit and Buildah (which globs each matched name a second
 * time). Each odd name below must arrive as exactly that one file, with its content. Beside them stand decoys
 * that an unescaped glob or word would copy instead (or too): `a?b` matches `aXb`, `[x]` matches `x`, `*`
 * matches everything, `back\slash` as a glob is `backslash`. Names with glob characters travel in the scaffold
 * archive; the others are COPY sources, in the plain form in /odd and the JSON-array form in /odd2.
 */
const ODD = ['*', 'a?b', '[x]', '[', 'x]y', 'back\\slash', 'd$ollar', "q'uote", 'dq"uote', 'br{a,b}'];
const ODD2 = ['sp ace', 'a b*', 'd $HOME', "it's here", 'tab\tname'];
const DECOYS = ['/odd/aXb', '/odd/x', '/odd/backslash', '/odd/plain', '/odd/d', '/odd2/a bc'];

describe.runIf(run)('COPY sources with glob and shell characters, built by BuildKit and Podman', () => {
  let dir: string;
  const base = 'scratchify-test/odd-names:e2e';
  const tag = 'scratchify-test/odd-names-scratch:e2e';
  const ptag = 'localhost/scratchify-test/odd-names-scratch:podman';

  beforeAll(async () => {
    const nginx = await nginxBase();
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-oddctx-'));
    mkdirSync(join(ctx, 'odd'));
    mkdirSync(join(ctx, 'odd2'));
    for (const n of ODD) writeFileSync(join(ctx, 'odd', n), n);
    for (const n of ODD2) writeFileSync(join(ctx, 'odd2', n), n);
    for (const d of DECOYS) writeFileSync(join(ctx, d), 'decoy');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${nginx.ref}\nCOPY odd/ /odd/\nCOPY odd2/ /odd2/\nRUN chmod 0750 /odd && chown 0:33 /odd\n`,
    );
    await dockerBuild(ctx, base);
    // Podman gets the same base from the same archive of the image.
    await execa('sh', ['-c', `${DOCKER} save ${base} | podman load -q`], { timeout: 600_000 });
    await ensureImage('podman', nginx.ref, nginx.tarball);

    dir = mkdtempSync(join(tmpdir(), 'scratchify-odd-'));
    const includes = [...ODD.map((n) => `/odd/${n}`), ...ODD2.map((n) => `/odd2/${n}`)].flatMap((p) => ['-i', p]);
    await execa(BIN, ['/usr/bin/[', '--base', base, ...includes, '-o', join(dir, 'Dockerfile')]);
    await dockerBuild(dir, tag);
    await podmanBuild(dir, ptag);
  }, 900_000);

  it('writes the plain form for /odd and the JSON form for /odd2', () => {
    const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^COPY --from=base \\\n {5}\/odd\/br\{a,b\} \\\n {5}\/odd\/d\\\$ollar \\$/m);
    expect(text).toMatch(/^COPY --from=base \["\/odd2\//m);
  });

  for (const [engine, cli] of [
    ['BuildKit', DOCKER],
    ['Podman', 'podman'],
  ] as const) {
    it(`${engine}: every odd name is copied as itself, and no decoy`, async () => {
      const files = await imageFiles(cli === 'podman' ? ptag : tag, cli);
      for (const n of ODD) expect(files.has(`/odd/${n}`), `/odd/${n}`).toBe(true);
      for (const n of ODD2) expect(files.has(`/odd2/${n}`), `/odd2/${n}`).toBe(true);
      // Contents too: the carried files hold the base's bytes.
      const cid = (await execa(cli, ['create', cli === 'podman' ? ptag : tag, '/x'])).stdout.trim();
      try {
        for (const n of ['*', 'a?b', 'back\\slash', 'd$ollar']) {
          const r = await execa('sh', ['-c', `"$0" export "$1" | tar -xO --no-wildcards "$2"`, cli, cid, `odd/${n}`]);
          expect(r.stdout, n).toBe(n);
        }
      } finally {
        await execa(cli, ['rm', cid]);
      }
      for (const d of DECOYS) expect(files.has(d), d).toBe(false);
      // The directory COPY writes into keeps the base's mode (the scaffold made it; COPY alone makes 0755).
      expect(files.get('/odd')).toBe('drwxr-x---');
    });
  }

  it("the program /usr/bin/[ itself runs: '1 = 1 ]' is true and '1 = 2 ]' false", async () => {
    const ok = await execa(DOCKER, ['run', '--rm', '--network', 'none', tag, '1', '=', '1', ']'], { reject: false });
    const no = await execa(DOCKER, ['run', '--rm', '--network', 'none', tag, '1', '=', '2', ']'], { reject: false });
    expect([ok.exitCode, no.exitCode]).toEqual([0, 1]);
    const pod = await execa('podman', [...PODMAN_RUN, 'run', '--rm', ...PODMAN_LIMITS, '--network', 'none', ptag, '1', '=', '1', ']'], {
      reject: false,
    });
    expect(pod.exitCode).toBe(0);
  });
});
