#!/usr/bin/env node
// Whole-process wall time, same run, scratchify against Debian's lddtree and libtree (medians of N runs after
// one warm-up; peak RSS from GNU time). Usage: node bench/whole-process.mjs [--runs N] [--root DIR] [--before OTHER/bin/run.js]
// Needs: npm run build, pax-utils + python3-pyelftools, libtree, GNU time; --root an unpacked nginx base.
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CA_VAR, isElfFile, withoutCa } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;
const rootArg = args.includes('--root') ? args[args.indexOf('--root') + 1] : undefined;
// --before BIN: the same scratchify rows with another build (a checkout of earlier code), in the same run.
const beforeBin = args.includes('--before') ? args[args.indexOf('--before') + 1] : undefined;
const BIN = join(import.meta.dirname, '..', 'bin', 'run.js');
const LDDTREE = ['/usr/bin/python3', '/usr/bin/lddtree'];

function time(cmd, argv, env = process.env) {
  // Wall time from here (GNU time prints only hundredths, too coarse for libtree's 0.04 s) less what spawning
  // costs (measured with /bin/true), so small tools are not flattered; peak RSS from GNU time.
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...argv], { encoding: 'utf8', stdio: ['ignore', devNull, 'pipe'], env });
  const s = (performance.now() - started) / 1000 - spawnCost;
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { s, kb };
}

// Output goes to /dev/null, as in a shell benchmark: reading it through a pipe would cost node, not the tool.
const devNull = openSync('/dev/null', 'w');
let spawnCost = 0;
{
  const t = Array.from({ length: 21 }, () => time('/bin/true', []))
    .map((x) => x.s)
    .sort((a, b) => a - b);
  spawnCost = t[10];
}

function measure(label, cmd, argv, env) {
  time(cmd, argv, env);
  const samples = Array.from({ length: runs }, () => time(cmd, argv, env));
  const secs = samples.map((x) => x.s).sort((a, b) => a - b);
  const median = secs[Math.floor(secs.length / 2)];
  const rss = Math.max(...samples.map((x) => x.kb));
  console.log(`${label.padEnd(48)} median ${median.toFixed(3)} s  min ${secs[0].toFixed(3)} s  peak RSS ${(rss / 1024).toFixed(0)} MB`);
  return median;
}

function measureOnce(label, cmd, argv) {
  const { s, kb } = time(cmd, argv);
  console.log(`${label.padEnd(48)} ${s.toFixed(3)} s  peak RSS ${(kb / 1024).toFixed(0)} MB`);
  return s;
}

/** A scratchify row, and when the CA variable is set, the same row without it. */
function measureScratchify(label, argv) {
  const s = measure(label, BIN, argv);
  const bare = withoutCa ? measure(`  same, without ${CA_VAR}`, BIN, argv, withoutCa) : undefined;
  if (beforeBin) {
    const before = measure('  the code before, same run', beforeBin, argv);
    if (withoutCa) measure(`  the code before, without ${CA_VAR}`, beforeBin, argv, withoutCa);
    console.log(`    now/before ${(s / before).toFixed(2)}`);
  }
  return { s, bare };
}

function ratios(what, s, base, target) {
  const r = (x) => (x / base).toFixed(target < 0.1 ? 3 : 2);
  console.log(`    ratio scratchify/${what} ${r(s.s)}${s.bare ? ` (${r(s.bare)} without ${CA_VAR})` : ''} (target <= ${target})`);
}

const out = {};
console.log(
  `node ${process.version}; ${CA_VAR} ${withoutCa ? 'is set' : 'is not set'}; spawning a process from here costs ${(spawnCost * 1000).toFixed(1)} ms, left out of every row`,
);
out.node = measure('node -e 0', process.execPath, ['-e', '0']);
if (withoutCa) out.node_bare = measure(`node -e 0 without ${CA_VAR}`, process.execPath, ['-e', '0'], withoutCa);
if (rootArg && existsSync(rootArg)) {
  const mods = readdirSync(join(rootArg, 'usr/lib/nginx/modules')).map((m) => `/usr/lib/nginx/modules/${m}`);
  console.log(`(a) nginx + ${mods.length} modules in ${rootArg}`);
  const a = measureScratchify('scratchify resolve --root --include modules', [
    'resolve',
    '/usr/sbin/nginx',
    '--root',
    rootArg,
    '--include',
    '/usr/lib/nginx/modules/*.so',
    '--format',
    'list',
  ]);
  out.a_scratchify = a.s;
  out.a_scratchify_bare = a.bare;
  out.a_lddtree = measure('lddtree -R -l', LDDTREE[0], [LDDTREE[1], '-R', rootArg, '-l', '/usr/sbin/nginx', ...mods]);
  ratios('lddtree', a, out.a_lddtree, 0.5);
}

const elfs = ['/usr/bin', '/usr/sbin'].flatMap((d) => readdirSync(d).map((f) => join(d, f))).filter(isElfFile);
console.log(`(b) every ELF file in /usr/bin and /usr/sbin of this machine: ${elfs.length}`);
const b = measureScratchify('scratchify resolve --format list', ['resolve', '--format', 'list', ...elfs]);
out.b_scratchify = b.s;
out.b_scratchify_bare = b.bare;
out.b_libtree = measure('libtree -p', 'libtree', ['-p', ...elfs]);
out.b_lddtree = measureOnce('lddtree -l (one run: it takes seconds)', LDDTREE[0], [LDDTREE[1], '-l', ...elfs]);
ratios('lddtree', b, out.b_lddtree, 0.02);
ratios('libtree', b, out.b_libtree, 5);

if (existsSync('/usr/bin/node')) {
  console.log(`(c) /usr/bin/node (${(statSync('/usr/bin/node').size / 1e6).toFixed(0)} MB)`);
  const c = measureScratchify('scratchify resolve /usr/bin/node', ['resolve', '/usr/bin/node', '--format', 'list']);
  out.c_node = c.s;
  out.c_node_bare = c.bare;
  console.log('    target < 0.150 s');
}
console.log(JSON.stringify(out));
