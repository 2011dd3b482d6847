#!/usr/bin/env node
// Warm generate (nginx, its image already cached) and resolve (this machine's /bin/ls), each through the start-up
// paths without oclif and with them turned off (SCRATCHIFY_NO_FAST_PATH=1), interleaved, with and without
// NODE_EXTRA_CA_CERTS: whether a fast path earns its keep (at least a fifth of a warm run). The main job's was
// removed for saving 1-2%: its two rows now take the same path, and differ only by noise.
// Usage: node bench/fast-path.mjs [IMAGE] [--runs N]   (after npm run build, with dockerd running)
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeOption, withoutCa } from './lib.mjs';

const argv = process.argv.slice(2);
const runs = Number(takeOption(argv, '--runs', '11'));
const image = argv[0] ?? 'scratchify-test/nginx-base:bookworm';
const bin = join(import.meta.dirname, '..', 'bin', 'run.js');
const out = join(mkdtempSync(join(tmpdir(), 'scratchify-bench-fast-')), 'Dockerfile');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const jobs = {
  'generate (warm)': ['/usr/sbin/nginx', '--base', image, '-o', out],
  resolve: ['resolve', '/bin/ls'],
};

function time(args, env) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`scratchify ${args.join(' ')}: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

for (const [name, args] of Object.entries(jobs)) {
  const envs = [['as this machine runs it', process.env], ...(withoutCa ? [['without the CA bundle', withoutCa]] : [])];
  for (const [label, base] of envs) {
    time(args, base); // the image cache and V8's code caches warm
    const fast = [];
    const slow = [];
    for (let i = 0; i < runs; i++) {
      fast.push(time(args, base));
      slow.push(time(args, { ...base, SCRATCHIFY_NO_FAST_PATH: '1' }));
    }
    const f = median(fast);
    const s = median(slow);
    console.log(`${name}, ${label}: fast path ${f.toFixed(3)} s, oclif ${s.toFixed(3)} s: saves ${((1 - f / s) * 100).toFixed(0)}%`);
  }
}
