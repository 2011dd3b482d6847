import { MemberTable } from '../rootfs/member-table.js';
import { SPARSE_FORMAT, type SparseIndex } from '../rootfs/sparse.js';
import { packFacts } from '../rootfs/sparse-build.js';
import type { TarIndex, TarMember } from '../rootfs/tar.js';
import { mergeLayers } from './apply.js';

/**
 * The cache index of an image made from the cache indexes of its layers, bottom first, as the engines apply them
 * (apply.ts): each path from the layer that gives it, with the bytes that layer's entry kept and the facts the
 * reader found in it. `stores` are the sizes of the layers' stores, which the image's store holds one after the
 * other: each kept range moves by the bytes of the stores below its own.
 */
export function mergeSparse(layers: readonly SparseIndex[], stores: readonly number[], ref?: string): SparseIndex {
  const tables = layers.map((l) => MemberTable.fromColumns(l.members));
  const indexes: TarIndex[] = layers.map((l, i) => {
    const index: TarIndex = {};
    for (const path of l.members.paths) {
      const m = tables[i]?.get(path);
      // A directory the layer has no header for (MemberTable adds them, offset 0) is not the layer's entry.
      if (m && !(m.type === 'dir' && m.offset === 0 && path !== '/')) index[path] = m;
    }
    return index;
  });
  const base: number[] = [];
  stores.reduce((sum, n, i) => {
    base[i] = sum;
    return sum + n;
  }, 0);
  const from = mergeLayers(indexes, ref);
  const merged: TarIndex = {};
  const facts: [string, string][] = [];
  const factsOf = layers.map((l) => new Map(l.facts.paths.map((p, n) => [p, l.facts.text.slice(l.facts.at[n], l.facts.at[n + 1])])));
  for (const [path, layer] of from) {
    const m = indexes[layer][path];
    if (!m) continue;
    const moved: TarMember = { ...m };
    if (m.keep) moved.keep = m.keep.map((v, k) => (k % 3 === 2 ? v + base[layer] : v));
    merged[path] = moved;
    const text = factsOf[layer].get(path);
    if (text !== undefined) facts.push([path, text]);
  }
  return {
    format: SPARSE_FORMAT,
    members: MemberTable.columnsOf(merged),
    facts: packFacts(facts),
    parsedWith: layers[0]?.parsedWith ?? [],
    probes: layers[0]?.probes ?? [],
  };
}
