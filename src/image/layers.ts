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
  trees: readonly string[] = [],
  max = MAX_LAYERS,
): Layer[] {
  const owner = new Map<string, string>();
  const packages = new Map((report?.packages ?? []).map((p) => [p.pkg.name, p]));
  for (const p of report?.packages ?? []) for (const f of p.files) owner.set(f, p.pkg.name);
  // Each package's parts: its files, then each tree copied whole, which is the same in every image that copies it
  // whatever else of the package each takes (gconv, whichever of libc6's libraries a program loads).
  const parts = new Map<string, Map<string, TarEntry[]>>();
  const own: TarEntry[] = [];
  const top: TarEntry[] = [];
  const treeOf = (path: string) => trees.find((t) => path.startsWith(`${t}/`)) ?? '';
  const libraries = new Map<string, boolean>();
  const splits = (pkg: string) => libraries.get(pkg) ?? libraries.set(pkg, shipsLibraries(root, packages.get(pkg)!.pkg.infoName)).get(pkg)!;
  for (const e of entries) {
    const pkg = e.type === 'dir' ? undefined : owner.get(e.path);
    if (pkg) {
      const of = parts.get(pkg) ?? parts.set(pkg, new Map()).get(pkg)!;
      // A package of several libraries (libc6, libicu72) gives each program a different few: one layer each.
      const tree = treeOf(e.path) || (e.type === 'file' && SHARED_OBJECT.test(e.path) && splits(pkg) ? e.path : '');
      (of.get(tree) ?? of.set(tree, []).get(tree)!).push(e);
    } else if (e.type === 'dir' || scaffold.has(e.path)) top.push(e);
    else own.push(e);
  }
  const order = dependencyOrder([...parts.keys()], (n) => {
    const p = packages.get(n);
    return p ? dependsOf(p.pkg) : new Set<string>();
  });
  // The cap counts layers: a package with trees takes one for each, and the program's, the merged and the scaffold's.
  const sizes = new Map(order.map((n) => [n, parts.get(n)!.size]));
  const separate = keepMostDepended(order, packages, sizes, max - 3);
  const layers: Layer[] = [];
  const merged: Layer = { name: '', entries: [], packages: [] };
  for (const name of order) {
    const version = packages.get(name)!.pkg.version;
    for (const tree of [...parts.get(name)!.keys()].sort()) {
      const layer = separate.has(name) ? { name: `${name} ${version}${tree ? `: ${tree}` : ''}`, entries: [], packages: [name] } : merged;
      layer.entries.push(...parts.get(name)!.get(tree)!);
      if (layer !== merged) layers.push(layer);
      else if (!merged.packages.includes(name)) merged.packages.push(name);
    }
  }
  if (merged.packages.length) layers.push({ ...merged, name: `${merged.packages.length} packages few others depend on` });
  if (own.length) layers.push({ name: "the program's own and unowned files", entries: own, packages: [] });
  layers.push({ name: 'the scaffold', entries: top, packages: [] });
  for (const l of layers) if (l.name !== 'the scaffold') l.entries.push(...ancestors(l.entries, root));
  return layers;
}

/** A shared library's name: libc.so.6, libssl.so.3, ld-linux-x86-64.so.2, libfoo.so. */
const SHARED_OBJECT = /\.so(\.\d+)*$/;

/**
 * Whether a package ships more than one shared library, from dpkg's list of its files in the base: the same answer
 * for every image cut from that base, so each cuts the package into the same layers.
 */
function shipsLibraries(root: Root, infoName: string): boolean {
  const list = root.readText(`/var/lib/dpkg/info/${infoName}.list`) ?? '';
  const real = new Set<string>();
  for (const line of list.split('\n')) {
    if (!/\/lib[^/]*\//.test(line) || !SHARED_OBJECT.test(line)) continue;
    // libz.so.1 is a link to libz.so.1.2.13: one library, whatever names the package gives it.
    const r = root.lookup(line);
    if (r?.entry.type === 'file') real.add(r.path);
    if (real.size > 1) return true;
  }
  return false;
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

/**
 * The packages that keep layers of their own within `room` layers, those most others in the image depend on first
 * (Nix's popularity rule, within one image); all of them when they fit.
 */
function keepMostDepended(
  order: string[],
  packages: Map<string, PackageReport['packages'][number]>,
  sizes: Map<string, number>,
  room: number,
): Set<string> {
  if ([...sizes.values()].reduce((a, b) => a + b, 0) <= room + 1) return new Set(order);
  const dependents = new Map(order.map((n) => [n, 0]));
  for (const n of order) for (const d of dependsOf(packages.get(n)!.pkg)) if (dependents.has(d)) dependents.set(d, dependents.get(d)! + 1);
  const ranked = [...order].sort((a, b) => dependents.get(b)! - dependents.get(a)! || (a < b ? -1 : 1));
  const kept = new Set<string>();
  let used = 0;
  for (const n of ranked) {
    if (used + sizes.get(n)! > room) break;
    kept.add(n);
    used += sizes.get(n)!;
  }
  return kept;
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
