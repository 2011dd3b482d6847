#!/usr/bin/env node
// What the compiled-in references rule adds, over every ELF program in /usr/bin and /usr/sbin of a root: the
// plan with and without it (--no-references), in files and bytes, and which paths it adds most often. In-process
// on the unbundled tree, reading a root archive (`docker export` of a created container, or any tar).
// Usage: node bench/references.mjs ROOTFS.tar   Needs: npm run build. Writes bench/results/references.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = join(import.meta.dirname, '..', 'dist');
const { Root } = await import(join(dist, 'rootfs/root.js'));
const { indexTar, TarBackend } = await import(join(dist, 'rootfs/tar.js'));
const { globInRoot } = await import(join(dist, 'rootfs/glob.js'));
const { generate } = await import(join(dist, 'generate/generate.js'));

const tar = process.argv[2];
if (!tar) {
  console.error('usage: node bench/references.mjs ROOTFS.tar');
  process.exit(2);
}
const root = new Root(new TarBackend('bench root', tar, indexTar(tar)));
const programs = [...globInRoot(root, '/usr/bin/*'), ...globInRoot(root, '/usr/sbin/*')].filter(
  (p) => root.lookup(p)?.entry.type === 'file' && root.readHead(p, 4)?.toString('latin1') === '\x7fELF',
);

function plan(program, references) {
  const r = generate({
    root,
    program,
    args: [],
    includes: [],
    expose: [],
    source: 'bench',
    command: 'bench',
    dockerfileName: 'Dockerfile',
    scaffoldName: 'Dockerfile.scaffold.tar',
    references,
    packages: { enabled: false },
  });
  const files = r.plan.copiedFiles();
  const bytes = files.reduce((n, f) => n + (root.lstat(f)?.size ?? 0), 0);
  return { files: new Set(files), bytes };
}

const rows = [];
const added = new Map();
let failed = 0;
const t0 = Date.now();
for (const p of programs) {
  try {
    const without = plan(p, false);
    const withRefs = plan(p, true);
    const extra = [...withRefs.files].filter((f) => !without.files.has(f));
    rows.push({ program: p, files: extra.length, bytes: withRefs.bytes - without.bytes, base: without.bytes });
    const dirs = new Set(extra.map((f) => f.split('/').slice(0, 4).join('/')));
    for (const d of dirs) added.set(d, (added.get(d) ?? 0) + 1);
  } catch {
    failed++;
  }
}
const touched = rows.filter((r) => r.files > 0);
const sorted = [...touched].sort((a, b) => a.bytes - b.bytes);
const median = sorted.length ? sorted[Math.floor(sorted.length / 2)].bytes : 0;
const summary = {
  programs: programs.length,
  planned: rows.length,
  failed,
  withAdditions: touched.length,
  medianBytesAdded: median,
  maxBytesAdded: sorted.at(-1)?.bytes ?? 0,
  maxProgram: sorted.at(-1)?.program,
  totalBytesAdded: rows.reduce((n, r) => n + r.bytes, 0),
  totalBytesWithout: rows.reduce((n, r) => n + r.base, 0),
  mostAdded: [...added].sort((a, b) => b[1] - a[1]).slice(0, 15),
  seconds: (Date.now() - t0) / 1000,
};
console.log(JSON.stringify(summary, null, 2));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'references.json'), `${JSON.stringify({ summary, rows }, null, 2)}\n`);
