import { formatBytes, sizeAttribution } from '../resolve/sizes.js';
import type { GenerateResult } from './generate.js';

/** Bytes of a file of the base, following nothing: what the image holds at that path. */
function sizeOf(result: GenerateResult, path: string): number {
  const e = result.plan.root.lstat(path);
  return e?.type === 'file' ? e.size : 0;
}

/**
 * A few lines for a person, after generating: the image's size, what brings the most (the program, each module
 * or include with what it alone loads, the largest directories copied whole), and the packages that weigh most.
 * Debian's nginx image-filter module alone brings 41 MiB: that should be seen at once, not found in --json.
 */
export function sizeSummary(result: GenerateResult): string[] {
  const { plan } = result;
  const files = plan.copiedFiles();
  const generated = [...plan.generated.values()].filter((g) => !g.fromBase).reduce((n, g) => n + g.content.length, 0);
  const total = files.reduce((n, f) => n + sizeOf(result, f), 0) + generated;
  const lines = [`the image holds ${formatBytes(total)} in ${files.length} files`];
  // A program's own bytes, and with them what only it loads: "alone" read as its own size (a 2.6 MB binary said 4.6).
  const roots = sizeAttribution(result.maps).map((r) => ({
    what: r.root,
    bytes: r.alone,
    how: `${formatBytes(sizeOf(result, result.plan.root.lookup(r.root)?.path ?? r.root))} and what only it loads`,
  }));
  const trees = [...plan.trees.keys()].map((t) => ({
    what: `${t}/`,
    bytes: files.filter((f) => f.startsWith(`${t}/`)).reduce((n, f) => n + sizeOf(result, f), 0),
    how: 'copied whole',
  }));
  // Single files that are no loaded object: data such as the JVM's 120 MiB lib/modules.
  const loaded = new Set(result.maps.flatMap((m) => m.objects.map((o) => o.real)));
  const data = [...plan.files.values()].filter((f) => !loaded.has(f.path)).map((f) => ({ what: f.path, bytes: f.size, how: 'a file' }));
  const largest = [...roots, ...trees, ...data].sort((a, b) => b.bytes - a.bytes).slice(0, 5);
  if (largest.length) lines.push(`largest: ${largest.map((l) => `${l.what} ${formatBytes(l.bytes)} (${l.how})`).join(', ')}`);
  const pkgs = (result.packages?.packages ?? [])
    .map((p) => ({ name: p.pkg.name, bytes: p.files.reduce((n, f) => n + sizeOf(result, f), 0) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  if (pkgs.length) lines.push(`heaviest packages: ${pkgs.map((p) => `${p.name} ${formatBytes(p.bytes)}`).join(', ')}`);
  return lines;
}
