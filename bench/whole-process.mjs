#!/usr/bin/env node
// Whole-process wall time, same run, scratchify against Debian's lddtree and libtree (medians of N runs after
// one warm-up; peak RSS from GNU time). Usage: node bench/whole-process.mjs [--runs N] [--root DIR]
// Needs: npm run build, pax-utils + python3-pyelftools, libtree, GNU time; --root an unpacked nginx base.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isElfFile } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;
const rootArg = args.includes('--root') ? args[args.indexOf('--root') + 1] : undefined;
const BIN = join(import.meta.dirname, '..', 'bin', 'run.js');
const LDDTREE = ['/usr/bin/python3', '/usr/bin/lddtree'];


function time(cmd, argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [s, kb] = last.split(' ').map(Number);
  return { s, kb };
}

function measure(label, cmd, argv) {
  time(cmd, argv);
  const samples = Array.from({ length: runs }, () => time(cmd, argv));
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

const out = {};
if (rootArg && existsSync(rootArg)) {
  const mods = readdirSync(join(rootArg, 'usr/lib/nginx/modules')).map((m) => `/usr/lib/nginx/modules/${m}`);
  console.log(`(a) nginx + ${mods.length} modules in ${rootArg}`);
  out.a_scratchify = measure('scratchify resolve --root --include modules', BIN, ['resolve', '/usr/sbin/nginx', '--root', rootArg, '--include', '/usr/lib/nginx/modules/*.so', '--format', 'list']);
  out.a_lddtree = measure('lddtree -R -l', LDDTREE[0], [LDDTREE[1], '-R', rootArg, '-l', '/usr/sbin/nginx', ...mods]);
  console.log(`    ratio scratchify/lddtree ${(out.a_scratchify / out.a_lddtree).toFixed(2)} (target <= 0.5)`);
}

const elfs = ['/usr/bin', '/usr/sbin'].flatMap((d) => readdirSync(d).map((f) => join(d, f))).filter(isElfFile);
console.log(`(b) every ELF file in /usr/bin and /usr/sbin of this machine: ${elfs.length}`);
out.b_scratchify = measure('scratchify resolve --format list', BIN, ['resolve', '--format', 'list', ...elfs]);
out.b_libtree = measure('libtree -p', 'libtree', ['-p', ...elfs]);
out.b_lddtree = measureOnce('lddtree -l (one run: it takes seconds)', LDDTREE[0], [LDDTREE[1], '-l', ...elfs]);
console.log(`    ratio scratchify/lddtree ${(out.b_scratchify / out.b_lddtree).toFixed(3)} (target <= 0.02), scratchify/libtree ${(out.b_scratchify / out.b_libtree).toFixed(1)} (target <= 5)`);

if (existsSync('/usr/bin/node')) {
  console.log(`(c) /usr/bin/node (${(statSync('/usr/bin/node').size / 1e6).toFixed(0)} MB)`);
  out.c_node = measure('scratchify resolve /usr/bin/node', BIN, ['resolve', '/usr/bin/node', '--format', 'list']);
}
console.log(JSON.stringify(out));
