#!/usr/bin/env node
// Base to image in the engine, two ways, side by side in one run: `generate --image docker-daemon:` (the image
// written and loaded, no build) against `generate -o Dockerfile` + `docker build --no-cache` of the same plan
// (BuildKit, as a user builds it). The base's cache is warm for both: what differs is how the image is made.
// Also the bytes a registry is sent for a second image of the same base (--image docker://, loopback registry).
// Usage: node bench/image.mjs [--runs N] [--docker /usr/bin/docker] NAME=IMAGE:PROGRAM ...
//   e.g. nginx=scratchify-test/nginx-base:bookworm:/usr/sbin/nginx jdk=scratchify-test/jdk:bookworm:/usr/bin/java
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeOption } from './lib.mjs';

const argv = process.argv.slice(2);
const runs = Number(takeOption(argv, '--runs', '3'));
const docker = takeOption(argv, '--docker', '/usr/bin/docker');
const bin = join(import.meta.dirname, '..', 'bin', 'run.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(cmd, args, env = process.env) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

for (const spec of argv) {
  const [name, rest] = spec.split('=');
  const program = rest.slice(rest.lastIndexOf(':') + 1);
  const image = rest.slice(0, rest.lastIndexOf(':'));
  const dir = mkdtempSync(join(tmpdir(), `scratchify-bench-image-${name}-`));
  const [direct, built] = [`scratchify-bench/${name}:direct`, `scratchify-bench/${name}:built`];
  run(process.execPath, [bin, program, '--base', image, '-o', join(dir, 'Dockerfile')]); // the base's cache warm
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    a.push(run(process.execPath, [bin, program, '--base', image, '--image', `docker-daemon:${direct}`]));
    const gen = run(process.execPath, [bin, program, '--base', image, '-o', join(dir, 'Dockerfile')]);
    const build = run(docker, ['build', '--no-cache', '--network', 'none', '-q', '-t', built, dir], {
      ...process.env,
      DOCKER_BUILDKIT: '1',
    });
    b.push(gen + build);
  }
  const [x, y] = [median(a), median(b)];
  console.log(
    `${name}: --image docker-daemon: ${x.toFixed(2)} s; generate + docker build --no-cache ${y.toFixed(2)} s (${(x / y).toFixed(2)}x)`,
  );
  spawnSync(docker, ['rmi', '-f', direct, built], { stdio: 'ignore' });
}
