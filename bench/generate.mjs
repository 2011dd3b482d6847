#!/usr/bin/env node
// From start to Dockerfile for nginx with a real engine, same run: cold cache (the image is exported and what
// generate reads kept) and warm cache, against `docker export` of the same image to /dev/null, with the cache's
// size against the image's. `--before DIR` times another checkout (built) the same way, runs interleaved.
// Usage: node bench/generate.mjs [IMAGE] [--program PATH] [--runs N] [--before DIR]   (after npm run build, with
// dockerd running; PATH defaults to /usr/sbin/nginx, the default image's program)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CA_VAR, withoutCa } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const image = args[0] && !args[0].startsWith('--') ? args[0] : 'scratchify-test/nginx-base:bookworm';
const runs = Number(opt('--runs')) || 5;
const program = opt('--program') ?? '/usr/sbin/nginx';
const before = opt('--before');
const out = mkdtempSync(join(tmpdir(), 'scratchify-bench-out-'));

function wall(fn) {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
function bytesUnder(dir) {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(join(dir, f));
    if (s.isFile()) n += s.size;
  }
  return n;
}

/** One checkout's runs: a cache of its own, emptied before each cold run. */
function subject(name, root) {
  const cache = mkdtempSync(join(tmpdir(), 'scratchify-bench-cache-'));
  const gen = (env = { ...process.env, SCRATCHIFY_CACHE: cache }) => {
    const r = spawnSync(
      join(root, 'bin', 'run.js'),
      [program, '--base', image, '-o', join(out, `${name.replace(/[^a-z0-9]/gi, '_')}.Dockerfile`)],
      { env },
    );
    if (r.status !== 0) throw new Error(r.stderr.toString());
  };
  return { name, cache, gen, cold: [], warm: [], bare: [], bytes: 0 };
}
const subjects = [subject('this tree', join(import.meta.dirname, '..'))];
if (before) subjects.push(subject(`--before ${before}`, before));

// Warm runs are also timed without NODE_EXTRA_CA_CERTS when it is set (see bench/lib.mjs).
const exportTimes = [];
for (let i = 0; i < runs; i++) {
  const cid = execFileSync('docker', ['create', image, '/x'], { encoding: 'utf8' }).trim();
  exportTimes.push(wall(() => spawnSync('sh', ['-c', `docker export ${cid} > /dev/null`])));
  execFileSync('docker', ['rm', cid]);
  for (const s of subjects) {
    rmSync(s.cache, { recursive: true, force: true });
    s.cold.push(wall(s.gen));
    s.bytes = bytesUnder(s.cache);
  }
}
// Warm runs after the cold ones, not each right after its cold run: the engine is still removing that run's
// container then, and a warm run (which starts no process of the engine's) would be timed against its work.
for (const s of subjects) s.gen();
for (let i = 0; i < runs; i++) {
  for (const s of subjects) {
    s.warm.push(wall(() => s.gen()));
    if (withoutCa) s.bare.push(wall(() => s.gen({ ...withoutCa, SCRATCHIFY_CACHE: s.cache })));
  }
}
const imageBytes = Number(execFileSync('docker', ['image', 'inspect', image, '--format', '{{.Size}}'], { encoding: 'utf8' }));
const e = median(exportTimes);
console.log(`docker export to /dev/null  median ${e.toFixed(2)} s; image ${mib(imageBytes)}`);
for (const s of subjects) {
  console.log(`${s.name}:`);
  console.log(`  cold cache  median ${median(s.cold).toFixed(2)} s  (${(median(s.cold) / e).toFixed(2)}x export; target <= 1.2x)`);
  console.log(`  warm cache  median ${median(s.warm).toFixed(3)} s  (target <= 0.3 s)`);
  if (withoutCa) console.log(`              ${median(s.bare).toFixed(3)} s without ${CA_VAR} (read by node before any JavaScript)`);
  console.log(`  cache       ${mib(s.bytes)} (${((100 * s.bytes) / imageBytes).toFixed(1)}% of the image; target <= 10%)`);
  rmSync(s.cache, { recursive: true, force: true });
}
rmSync(out, { recursive: true, force: true });
