#!/usr/bin/env node
// In-process cost of resolving, without node's and oclif's start-up: (a) nginx + modules in an unpacked root,
// (b) every ELF program in /usr/bin and /usr/sbin of this machine, first (cold caches) and repeated runs.
// Usage: node bench/in-process.mjs [--root DIR]   (after npm run build)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isElfFile } from './lib.mjs';
import { loadAll } from '../dist/resolve/load.js';
import { openDirRoot } from '../dist/rootfs/open.js';

const args = process.argv.slice(2);
const rootArg = args.includes('--root') ? args[args.indexOf('--root') + 1] : undefined;

function bench(label, fn, repeat = 5) {
  const times = [];
  let info;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    info = fn();
    times.push(performance.now() - t);
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  console.log(
    `${label.padEnd(40)} first ${times[0].toFixed(1)} ms, then median ${rest[Math.floor(rest.length / 2)].toFixed(1)} ms; ${info}`,
  );
}

if (rootArg) {
  bench('nginx + modules', () => {
    const root = openDirRoot(rootArg);
    const { maps } = loadAll(root, ['/usr/sbin/nginx'], ['/usr/lib/nginx/modules/*.so']);
    return `${maps[0].objects.length} objects, ${(root.bytesRead / 1024).toFixed(0)} KiB read`;
  });
}
const elfs = ['/usr/bin', '/usr/sbin'].flatMap((d) => readdirSync(d).map((f) => join(d, f))).filter(isElfFile);
bench(`${elfs.length} programs of this machine`, () => {
  const root = openDirRoot('/');
  const { resolver, maps } = loadAll(root, elfs, []);
  const unique = new Set(maps.flatMap((m) => m.objects.map((o) => o.real))).size;
  const heap = process.memoryUsage().rss / 1048576;
  return `${unique} distinct objects, ${(root.bytesRead / unique / 1024).toFixed(1)} KiB read per object, RSS ${heap.toFixed(0)} MB${resolver.warnings.length ? `, ${resolver.warnings.length} warnings` : ''}`;
});
