#!/usr/bin/env node
// Cold builds of generated Dockerfiles, counted: does every build pass, every time? BuildKit 0.8 (Docker 20.10)
// failed one build in four or five with "flightcontrol: exceeded retry timeout" before COPY sources were
// chunked. Each build here starts cold: `docker builder prune -af` (BuildKit's cache, and the content
// checksums it keeps of the base), then `build --no-cache`. Podman: `build --no-cache`. Nothing is retried.
//
// Usage: node bench/build-stress.mjs DIR... [--runs N] [--engine docker|podman]
//   each DIR holds a Dockerfile and its build context (as written by scratchify -o DIR/Dockerfile).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { takeOption } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => takeOption(argv, name, dflt);
const runs = Number(opt('--runs', '10'));
const engine = opt('--engine', 'docker');
const dirs = argv;
if (dirs.length === 0) {
  console.error('usage: node bench/build-stress.mjs DIR... [--runs N] [--engine docker|podman]');
  process.exit(2);
}
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const PODMAN = ['--runtime', 'runc'];
const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function build(dir, tag) {
  if (engine === 'docker') {
    spawnSync(DOCKER, ['builder', 'prune', '-af'], { stdio: 'ignore' });
    return spawnSync(DOCKER, ['build', '--no-cache', '--network', 'none', '-q', '-t', tag, dir], {
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
      encoding: 'utf8',
    });
  }
  return spawnSync('podman', [...PODMAN, 'build', ...PODMAN, ...LIMITS, '--no-cache', '--network', 'none', '-q', '-t', tag, dir], {
    encoding: 'utf8',
  });
}

const rows = [];
for (const dir of dirs) {
  const file = join(dir, 'Dockerfile');
  const text = spawnSync('cat', [file], { encoding: 'utf8' }).stdout;
  const layers = text.split('\n').filter((l) => /^(COPY|ADD) /.test(l)).length;
  const tag = `scratchify-stress/${dir.replace(/\W+/g, '-').replace(/^-|-$/g, '').toLowerCase()}:${engine}`;
  let failed = 0;
  const errors = new Map();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const r = build(dir, tag);
    if (r.status !== 0) {
      failed++;
      const line =
        (r.stderr || r.stdout)
          .split('\n')
          .filter((l) => /error/i.test(l))
          .pop() ?? `exit ${r.status}`;
      errors.set(line, (errors.get(line) ?? 0) + 1);
    }
    process.stderr.write(r.status === 0 ? '.' : 'F');
  }
  process.stderr.write('\n');
  rows.push({
    dir,
    layers,
    runs,
    failed,
    secondsPerBuild: ((performance.now() - t0) / 1000 / runs).toFixed(1),
    errors: Object.fromEntries(errors),
  });
  console.log(JSON.stringify(rows.at(-1)));
}
const total = rows.reduce((n, r) => n + r.failed, 0);
console.log(`${engine}: ${rows.reduce((n, r) => n + r.runs, 0)} builds, ${total} failed`);
process.exitCode = total === 0 ? 0 : 1;
