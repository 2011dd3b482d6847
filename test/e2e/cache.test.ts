import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { DOCKER, IN_CI, bullseyeBase, dockerAnswers, nginxBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/** Every file under the cache directory, relative. */
function cacheFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe.runIf(run)('the image cache: shared safely, bounded, listed, pruned; progress only on a terminal', () => {
  let nginx: string;
  let bullseye: string;
  beforeAll(async () => {
    nginx = (await nginxBase()).ref;
    bullseye = (await bullseyeBase()).ref;
  }, 900_000);

  const generate = (cache: string, image: string, out: string, extra: Record<string, string> = {}) =>
    execa(BIN, ['/usr/sbin/nginx', '--base', image, '-o', out], { env: { SCRATCHIFY_CACHE: cache, ...extra }, reject: false });

  it('two processes on the same cold image: both succeed, with the same Dockerfile, one export in the cache, nothing left over', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scratchify-cache-'));
    const [da, db] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'scratchify-cache-out-')));
    const [a, b] = await Promise.all([generate(cache, nginx, join(da, 'Dockerfile')), generate(cache, nginx, join(db, 'Dockerfile'))]);
    expect([a.exitCode, b.exitCode], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    expect(readFileSync(join(da, 'Dockerfile'), 'utf8')).toBe(readFileSync(join(db, 'Dockerfile'), 'utf8'));
    expect(readFileSync(join(da, 'Dockerfile.scaffold.tar')).equals(readFileSync(join(db, 'Dockerfile.scaffold.tar')))).toBe(true);
    const files = cacheFiles(cache);
    expect(files.filter((f) => f.endsWith('sparse.json'))).toHaveLength(1);
    expect(files.filter((f) => /\.tmp$|\.lock$/.test(f))).toEqual([]);
    // The entry keeps the index, ELF facts and small parsed files, not the image: at most a tenth of its bytes.
    const imageBytes = Number((await execa(DOCKER, ['image', 'inspect', nginx, '--format', '{{.Size}}'])).stdout);
    const entryBytes = files.reduce((n, f) => n + (statSync(join(cache, f)).isFile() ? statSync(join(cache, f)).size : 0), 0);
    expect(entryBytes).toBeGreaterThan(0);
    expect(entryBytes / imageBytes).toBeLessThanOrEqual(0.1);
  }, 300_000);

  it('bounded: over SCRATCHIFY_CACHE_MAX the least recently used image goes, never the one in use; cache lists, cache prune empties', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scratchify-cache-'));
    const out = mkdtempSync(join(tmpdir(), 'scratchify-cache-out-'));
    expect((await generate(cache, nginx, join(out, 'a'))).exitCode).toBe(0);
    const r = await execa(BIN, ['/bin/ls', '--base', bullseye, '-o', join(out, 'b')], {
      env: { SCRATCHIFY_CACHE: cache, SCRATCHIFY_CACHE_MAX: '1M' },
    });
    expect(r.exitCode).toBe(0);
    const listed = JSON.parse((await execa(BIN, ['cache', '--json'], { env: { SCRATCHIFY_CACHE: cache } })).stdout);
    expect(listed.images.map((i: { ref: string }) => i.ref)).toEqual([bullseye]);
    expect(listed.bytes).toBeGreaterThan(1 << 20);
    const pruned = JSON.parse((await execa(BIN, ['cache', 'prune', '--json'], { env: { SCRATCHIFY_CACHE: cache } })).stdout);
    expect(pruned.removed.map((i: { ref: string }) => i.ref)).toEqual([bullseye]);
    expect((await execa(BIN, ['cache'], { env: { SCRATCHIFY_CACHE: cache } })).stdout).toMatch(/: 0 images, 0 B/);
  }, 300_000);

  it('export progress on a terminal only, and never with --json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'scratchify-cache-out-'));
    const onTty = async (args: string[]) => {
      const cache = mkdtempSync(join(tmpdir(), 'scratchify-cache-'));
      const cmd = [BIN, ...args].map((a) => `'${a}'`).join(' ');
      return (await execa('script', ['-qec', `SCRATCHIFY_CACHE=${cache} ${cmd}`, '/dev/null'])).stdout;
    };
    expect(await onTty(['/usr/sbin/nginx', '--base', nginx, '-o', join(out, 'tty')])).toMatch(
      /scratchify: exported scratchify-test\/nginx-base:bookworm: \d+(\.\d)? MiB, kept \d+(\.\d)? MiB of it/,
    );
    expect(await onTty(['/usr/sbin/nginx', '--base', nginx, '-o', join(out, 'json'), '--json'])).not.toMatch(/export/);
    const piped = await generate(mkdtempSync(join(tmpdir(), 'scratchify-cache-')), nginx, join(out, 'pipe'));
    expect(piped.stderr).not.toMatch(/export/);
  }, 300_000);

  it('Ctrl-C during a cold export: exit 130 and one line; no container, partial archive or lock left; cache prune clears what a killed one left', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scratchify-cache-'));
    const out = mkdtempSync(join(tmpdir(), 'scratchify-cache-out-'));
    const child = execa(BIN, ['/usr/sbin/nginx', '--base', nginx, '-o', join(out, 'D')], {
      env: { SCRATCHIFY_CACHE: cache },
      detached: true,
      reject: false,
    });
    // The export has begun once its partial archive exists.
    const started = Date.now();
    while (!cacheFiles(cache).some((f) => f.endsWith('.tmp')) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr.trim()).toBe('scratchify: interrupted; removed what it had made');
    expect(cacheFiles(cache).filter((f) => /\.tmp$|\.lock$/.test(f))).toEqual([]);
    const created = await execa(DOCKER, ['ps', '-a', '--no-trunc', '--filter', 'status=created', '--format', '{{.Command}}']);
    expect(created.stdout).not.toMatch(/scratchify-never-runs/);

    // A process killed outright cannot clean up: its lock and partial archive stay until cache prune.
    const killed = execa(BIN, ['/usr/sbin/nginx', '--base', nginx, '-o', join(out, 'K')], {
      env: { SCRATCHIFY_CACHE: cache },
      reject: false,
    });
    const t0 = Date.now();
    while (!cacheFiles(cache).some((f) => f.endsWith('.tmp')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    killed.kill('SIGKILL');
    await killed;
    expect(cacheFiles(cache).some((f) => /\.tmp$|\.lock$/.test(f))).toBe(true);
    await execa(BIN, ['cache', 'prune'], { env: { SCRATCHIFY_CACHE: cache } });
    expect(cacheFiles(cache).filter((f) => /\.tmp$|\.lock$/.test(f))).toEqual([]);
    // Its created container stays: nothing was left to remove it. The test removes it (tests run one file at a time).
    const ps = await execa(DOCKER, ['ps', '-a', '--no-trunc', '--filter', 'status=created', '--format', '{{.ID}} {{.Command}}']);
    const left = ps.stdout
      .split('\n')
      .filter((l) => l.includes('scratchify-never-runs'))
      .map((l) => l.split(' ')[0]);
    if (left.length) await execa(DOCKER, ['rm', '-f', ...left]);
  }, 300_000);
});
