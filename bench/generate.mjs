#!/usr/bin/env node
// From start to Dockerfile for nginx with a real engine, same run: cold cache (the image is exported and
// indexed) and warm cache (only the index is read), against `docker export` of the same image to /dev/null.
// Usage: node bench/generate.mjs IMAGE [--runs N]     (after npm run build, with dockerd running)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const image = process.argv[2] ?? 'scratchify-test/nginx-base:bookworm';
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const BIN = join(import.meta.dirname, '..', 'bin', 'run.js');
const cache = mkdtempSync(join(tmpdir(), 'scratchify-bench-cache-'));
const out = mkdtempSync(join(tmpdir(), 'scratchify-bench-out-'));
const env = { ...process.env, SCRATCHIFY_CACHE: cache };

function wall(fn) {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const exportTimes = [];
for (let i = 0; i < runs; i++) {
  const cid = execFileSync('docker', ['create', image, '/x'], { encoding: 'utf8' }).trim();
  exportTimes.push(wall(() => spawnSync('sh', ['-c', `docker export ${cid} > /dev/null`])));
  execFileSync('docker', ['rm', cid]);
}
const gen = () => {
  const r = spawnSync(BIN, ['/usr/sbin/nginx', '--base', image, '-o', join(out, 'Dockerfile')], { env });
  if (r.status !== 0) throw new Error(r.stderr.toString());
};
const cold = [];
const warm = [];
for (let i = 0; i < runs; i++) {
  rmSync(cache, { recursive: true, force: true });
  cold.push(wall(gen));
  warm.push(wall(gen));
}
const e = median(exportTimes);
console.log(`docker export to /dev/null  median ${e.toFixed(2)} s`);
console.log(`scratchify, cold cache      median ${median(cold).toFixed(2)} s  (${(median(cold) / e).toFixed(2)}x export; target <= 1.5x)`);
console.log(`scratchify, warm cache      median ${median(warm).toFixed(3)} s  (target < 0.3 s)`);
rmSync(cache, { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
