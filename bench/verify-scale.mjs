#!/usr/bin/env node
// verify at scale: every ELF program in /usr/bin and /usr/sbin of IMAGE whose `--version` (else `--help`)
// exits 0 in the base (as nonroot, the user verify runs both images as), verified with that command as its
// smoke test and `--trace` of the same command. Prints a summary and writes every result to
// bench/results/verify-scale.json. Nothing is retried.
//
// Usage: node bench/verify-scale.mjs IMAGE [--jobs N] [--limit N] [--no-trace] [--flags '...'] [--out NAME]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { takeOption } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => takeOption(argv, name, dflt);
const jobs = Number(opt('--jobs', '2'));
const limit = Number(opt('--limit', '100000'));
// --no-trace: verify the image generate plans from the files alone; --flags '...': more generate flags
// (--no-references, to see what compiled-in paths fix); --out NAME: the results file's name.
const noTrace = argv.includes('--no-trace');
if (noTrace) argv.splice(argv.indexOf('--no-trace'), 1);
const extraFlags = opt('--flags', '').split(' ').filter(Boolean);
const outName = opt('--out', 'verify-scale');
const image = argv[0];
if (!image) {
  console.error('usage: node bench/verify-scale.mjs IMAGE [--jobs N] [--limit N]');
  process.exit(2);
}
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const BIN = join(import.meta.dirname, '..', 'bin', 'run.js');

/** Runs a command, with a time limit; its status and output. */
function run(cmd, args, seconds, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// The programs, listed inside a container of the image: nothing of it runs here.
const listing = spawnSync(
  DOCKER,
  [
    'run',
    '--rm',
    '--network',
    'none',
    '--entrypoint',
    '/bin/sh',
    image,
    '-c',
    'for f in /usr/bin/* /usr/sbin/*; do [ -f "$f" ] && [ ! -L "$f" ] && [ "$(head -c4 "$f" | od -An -c | tr -d " ")" = "177ELF" ] && echo "$f"; done',
  ],
  { encoding: 'utf8' },
);
const programs = listing.stdout.split('\n').filter(Boolean).slice(0, limit);
console.error(`${programs.length} ELF programs in ${image}`);

/**
 * The first of --version, --help that exits 0 in the base within 20 s, with no network, as the user verify
 * runs both images as (scratchify's default, nonroot 65532).
 */
async function smokeFor(program) {
  for (const flag of ['--version', '--help']) {
    const r = await run(DOCKER, ['run', '--rm', '--network', 'none', '--user', '65532:65532', '--entrypoint', program, image, flag], 20);
    if (r.code === 0) return flag;
  }
  return undefined;
}

const results = [];
let next = 0;
async function worker() {
  while (next < programs.length) {
    const program = programs[next++];
    const smoke = await smokeFor(program);
    if (!smoke) {
      results.push({ program, skipped: 'neither --version nor --help exits 0 in the base' });
      continue;
    }
    const started = Date.now();
    const trace = noTrace ? [] : ['--trace', `${program} ${smoke}`];
    const r = await run(BIN, ['verify', program, '--base', image, `--smoke=${smoke}`, ...trace, ...extraFlags, '--json'], 600);
    let report;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      report = undefined;
    }
    const entry = { program, smoke, code: r.code, seconds: (Date.now() - started) / 1000 };
    if (report?.rounds) {
      const o = report.rounds[0][0];
      Object.assign(entry, { pass: o.pass, differences: o.differences, missing: o.missing.map((m) => m.path) });
      if (!o.pass) Object.assign(entry, { base: o.base, scratch: o.scratch });
    } else {
      entry.error = (report?.error?.message ?? r.stderr.trim().split('\n').pop()) || `exit ${r.code}`;
    }
    results.push(entry);
    console.error(
      `${entry.pass ? 'PASS' : entry.error ? 'ERROR' : 'FAIL'} ${program} ${smoke} (${entry.seconds.toFixed(1)} s)${entry.error ? `: ${entry.error}` : ''}`,
    );
  }
}
await Promise.all(Array.from({ length: jobs }, worker));

const verified = results.filter((r) => !r.skipped);
const summary = {
  image,
  programs: programs.length,
  skipped: results.length - verified.length,
  verified: verified.length,
  pass: verified.filter((r) => r.pass).length,
  fail: verified.filter((r) => r.pass === false).map((r) => ({ program: r.program, differences: r.differences, missing: r.missing })),
  errors: verified.filter((r) => r.error).map((r) => ({ program: r.program, error: r.error })),
  medianSeconds: verified.map((r) => r.seconds).sort((a, b) => a - b)[Math.floor(verified.length / 2)],
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', `${outName}.json`), `${JSON.stringify({ summary, results }, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
