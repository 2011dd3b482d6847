import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngine, type EngineName } from '../../src/engine/engine.js';
import { cacheEntryDir, openImageRoot } from '../../src/engine/image-cache.js';
import { inspectImage } from '../../src/engine/image.js';
import { DOCKER, IN_CI, dockerAnswers, ensureImage, nginxBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/** A file of the base as its tarball holds it: the oracle, read without any engine. */
async function fromTarball(tarball: string, path: string): Promise<Buffer> {
  const r = await execa('tar', ['-xOf', tarball, `.${path}`], { encoding: 'buffer', maxBuffer: 256 << 20 });
  return Buffer.from(r.stdout);
}

/** Containers scratchify created to read files from, still there. */
async function createdBy(cli: string): Promise<string[]> {
  const ps = await execa(cli, ['ps', '-a', '--no-trunc', '--filter', 'status=created', '--format', '{{.ID}} {{.Command}}']);
  return ps.stdout.split('\n').filter((l) => l.includes('scratchify-never-runs'));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(run)('files the image cache kept only in part, fetched from the engine', () => {
  let base: { ref: string; tarball: string };
  const cache = mkdtempSync(join(tmpdir(), 'scratchify-fetch-cache-'));
  const before = process.env.SCRATCHIFY_CACHE;
  beforeAll(async () => {
    base = await nginxBase();
    await ensureImage('podman', base.ref, base.tarball);
    process.env.SCRATCHIFY_CACHE = cache;
  }, 900_000);
  afterAll(() => {
    rmSync(cache, { recursive: true, force: true });
    if (before === undefined) delete process.env.SCRATCHIFY_CACHE;
    else process.env.SCRATCHIFY_CACHE = before;
  });

  for (const name of ['docker', 'podman'] as EngineName[]) {
    it(`${name}: one file through cp, kept for the next reader; many through one export, kept too; the container goes on close`, async () => {
      const engine = await detectEngine(name);
      const info = await inspectImage(engine, base.ref);
      const root = await openImageRoot(engine, info);
      const dir = cacheEntryDir(engine, info);
      const fetched = () => (existsSync(join(dir, 'fetched')) ? readdirSync(join(dir, 'fetched')) : []);
      expect(fetched()).toEqual([]);

      // The nginx binary: the cache holds its head and what the reader made of it, not its bytes.
      const nginx = root.readBytes('/usr/sbin/nginx', 64 << 20)!;
      expect(sha256(nginx)).toBe(sha256(await fromTarball(base.tarball, '/usr/sbin/nginx')));
      expect(fetched()).toHaveLength(1);
      const again = await openImageRoot(engine, info);
      expect(sha256(again.readBytes('/usr/sbin/nginx', 64 << 20)!)).toBe(sha256(nginx));

      // A bundle's worth of files: one export, each of them kept for the next bundle or image of this base.
      const paths = root
        .readdir('/usr/lib/x86_64-linux-gnu')
        .map((n) => `/usr/lib/x86_64-linux-gnu/${n}`)
        .filter((p) => root.lstat(p)?.type === 'file' && root.lstat(p)!.size > 4096)
        .slice(0, 40);
      expect(paths).toHaveLength(40);
      root.backend.cache?.prefetch(paths);
      for (const p of paths.slice(0, 5)) expect(sha256(root.readBytes(p, 64 << 20)!), p).toBe(sha256(await fromTarball(base.tarball, p)));
      // Loaders are kept whole at the export already: not among the fetched.
      expect(fetched().length).toBeGreaterThanOrEqual(paths.length - 2);

      expect((await createdBy(name === 'docker' ? DOCKER : 'podman')).length).toBeGreaterThan(0);
      root.backend.close?.();
      again.backend.close?.();
      expect(await createdBy(name === 'docker' ? DOCKER : 'podman')).toEqual([]);
    }, 300_000);
  }

  it("docker: the image's inspect read from the API is the CLI's, and a warm generate starts no process", async () => {
    const engine = await detectEngine('docker');
    expect(engine.apiGet, 'docker answers on its default socket here').toBeDefined();
    const api = await engine.apiGet!(`/images/${base.ref}/json`);
    expect(api?.status).toBe(200);
    const cli = JSON.parse((await execa(DOCKER, ['image', 'inspect', base.ref])).stdout)[0];
    expect(JSON.parse(api!.body)).toEqual(cli);
    expect((await engine.apiGet!('/images/scratchify-test/no-such-image:none/json'))?.status).toBe(404);
    // The export through the API: the daemon's own words for a container that is not there, at once.
    await expect(engine.exportStream('0'.repeat(64), () => {})).rejects.toThrow(/No such container/);
    // A first run makes the entry warm (when the tests above have not); strace -f sees every process the next starts.
    const out = mkdtempSync(join(tmpdir(), 'scratchify-fetch-out-'));
    try {
      const log = join(out, 'strace.log');
      const argv = [join(import.meta.dirname, '..', '..', 'bin', 'run.js'), '/usr/sbin/nginx', '--base', base.ref, '-o', join(out, 'D')];
      await execa(process.execPath, argv);
      await execa('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', log, process.execPath, ...argv]);
      const started = readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes('execve(') && !l.includes('ENOENT'));
      expect(started).toHaveLength(1);
      expect(readFileSync(join(out, 'D'), 'utf8')).toContain('COPY --from=base');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
