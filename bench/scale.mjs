#!/usr/bin/env node
// Scale: resolve every ELF file under a directory of large objects (default: LLVM from Debian, e.g.
// /usr/lib/llvm-14 with its 110 MB libLLVM) reading headers only. Reports objects per second, bytes read per
// object and peak RSS. Usage: node bench/scale.mjs [DIR] [--root ROOT]   (after npm run build)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isElfFile } from './lib.mjs';
import { loadAll } from '../dist/resolve/load.js';
import { openDirRoot } from '../dist/rootfs/open.js';

const args = process.argv.slice(2);
const rootDir = args.includes('--root') ? args[args.indexOf('--root') + 1] : '/';
const dir =
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--root') ??
  readdirSync('/usr/lib')
    .filter((d) => d.startsWith('llvm-'))
    .map((d) => `/usr/lib/${d}`)[0];
if (!dir) throw new Error('no /usr/lib/llvm-* here; pass a directory');

function* walk(d) {
  for (const e of readdirSync(join(rootDir, d), { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}
const files = [...walk(dir)].filter((p) => isElfFile(join(rootDir, p)));
const bytesOnDisk = files.reduce((a, p) => a + statSync(join(rootDir, p)).size, 0);
const t = performance.now();
const root = openDirRoot(rootDir);
const { maps } = loadAll(root, files, []);
const ms = performance.now() - t;
const objects = new Set(maps.flatMap((m) => m.objects.map((o) => o.real)));
console.log(
  `${dir}: ${files.length} ELF files (${(bytesOnDisk / 1048576).toFixed(0)} MB on disk), ${objects.size} distinct objects with their libraries`,
);
console.log(
  `resolved in ${ms.toFixed(0)} ms: ${(objects.size / (ms / 1000)).toFixed(0)} objects/s, ${(root.bytesRead / objects.size / 1024).toFixed(1)} KiB read per object, ${(root.bytesRead / 1048576).toFixed(1)} MB read in all`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
