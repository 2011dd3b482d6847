import type { PackageReport } from '../packages/metadata.js';
import { dependsOf } from '../packages/dpkg.js';
import type { Root } from '../rootfs/root.js';
import type { TarEntry } from '../rootfs/tar-write.js';

/** Registries and engines refuse a manifest past about 127 layers (overlayfs' lower directories); this leaves room. */
export const MAX_LAYERS = 100;

/** One layer of a written image: what it holds and why it is a layer of its own. */
export interface Layer {
  /** What made it: `libc6 2.36-9+deb12u4`, `the program's own and unowned files`, `the scaffold`. */
  name: string;
  entries: TarEntry[];
  packages: string[];
}

/**
 * The image's files split so that images cut from one base share bytes: one layer per package, the packages a
 * package depends on below it (libc6 at the bottom); the files no package owns (the program, ld.so.cache, the CA
 * bundle) above them; the scaffold on top (accounts, directories with their modes, dpkg's metadata of this image).
 * Each package layer holds the package's files this image copies, its links, and the directories above them as
 * the base has them, so it unpacks the same anywhere. Past `max` layers the packages fewest others depend on are
 * merged into one layer, which is the least likely to be shared anyway.
 */
export function imageLayers(
  entries: readonly TarEntry[],
  scaffold: ReadonlySet<string>,
  report: PackageReport | undefined,
  root: Root,
  max = MAX_LAYERS,
): Layer[] {
  const owner = new Map<string, string>();
  const packages = new Map((report?.packages ?? []).map((p) => [p.pkg.name, p]));
  for (const p of report?.packages ?? []) for (const f of p.files) owner.set(f, p.pkg.name);
  const byPkg = new Map<string, TarEntry[]>();
  const own: TarEntry[] = [];
  const top: TarEntry[] = [];
  for (const e of entries) {
    const pkg = e.type === 'dir' ? undefined : owner.get(e.path);
    if (pkg) byPkg.set(pkg, [...(byPkg.get(pkg) ?? []), e]);
    else if (e.type === 'dir' || scaffold.has(e.path)) top.push(e);
    else own.push(e);
  }
  const order = dependencyOrder([...byPkg.keys()], (n) => {
    const p = packages.get(n);
    return p ? dependsOf(p.pkg) : new Set<string>();
  });
  const room = Math.max(1, max - 2);
  const separate = order.length > room ? keepMostDepended(order, packages, room - 1) : new Set(order);
  const layers: Layer[] = [];
  const merged: Layer = { name: '', entries: [], packages: [] };
  for (const name of order) {
    const p = packages.get(name)!;
    const layer = separate.has(name) ? { name: `${name} ${p.pkg.version}`, entries: [], packages: [] } : merged;
    layer.entries.push(...byPkg.get(name)!);
    layer.packages.push(name);
    if (layer !== merged) layers.push(layer);
  }
  if (merged.packages.length) layers.push({ ...merged, name: `${merged.packages.length} packages few others depend on` });
  if (own.length) layers.push({ name: "the program's own and unowned files", entries: own, packages: [] });
  layers.push({ name: 'the scaffold', entries: top, packages: [] });
  for (const l of layers) if (l.name !== 'the scaffold') l.entries.push(...ancestors(l.entries, root));
  return layers;
}

/** Packages in an order where each comes after those it depends on; ties and cycles broken by name. */
export function dependencyOrder(names: string[], depends: (name: string) => Set<string>): string[] {
  const present = new Set(names);
  const out: string[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (n: string) => {
    if (done.has(n) || visiting.has(n)) return;
    visiting.add(n);
    for (const d of [...depends(n)].filter((d) => present.has(d)).sort()) visit(d);
    visiting.delete(n);
    done.add(n);
    out.push(n);
  };
  for (const n of [...names].sort()) visit(n);
  return out;
}

/** The `keep` packages most others in the image depend on (Nix's popularity rule, within one image). */
function keepMostDepended(order: string[], packages: Map<string, PackageReport['packages'][number]>, keep: number): Set<string> {
  const dependents = new Map(order.map((n) => [n, 0]));
  for (const n of order) for (const d of dependsOf(packages.get(n)!.pkg)) if (dependents.has(d)) dependents.set(d, dependents.get(d)! + 1);
  const ranked = [...order].sort((a, b) => dependents.get(b)! - dependents.get(a)! || (a < b ? -1 : 1));
  return new Set(ranked.slice(0, keep));
}

/** The directories above a layer's entries, as the base has them, each once. */
function ancestors(entries: readonly TarEntry[], root: Root): TarEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const out: TarEntry[] = [];
  for (const e of entries) {
    for (let d = e.path.slice(0, e.path.lastIndexOf('/')); d; d = d.slice(0, d.lastIndexOf('/'))) {
      if (have.has(d)) break;
      have.add(d);
      const s = root.lstat(d);
      out.push(
        s?.type === 'dir'
          ? { type: 'dir', path: d, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid }
          : { type: 'dir', path: d, mode: 0o755, uid: 0, gid: 0 },
      );
    }
  }
  return out;
}
