import { ScratchifyError } from '../errors.js';
import type { Root } from '../rootfs/root.js';
import type { Plan } from './plan.js';
import type { ScaffoldEntry } from './scaffold-tar.js';

/** Bounds on a bundle built in memory from a hostile base: entries and bytes. */
const MAX_ENTRIES = 500_000;
const MAX_BYTES = 4 * 1024 ** 3;

/**
 * The minimal root itself, as archive entries: the scaffold (directories with their modes and owners, links,
 * passwd and group, carried files), then every file the COPY lines would have copied, with the base's bytes,
 * mode and owner, and every copied tree entry by entry (its links stay links, as COPY keeps them).
 */
export function bundleEntries(plan: Plan, root: Root, scaffold: ScaffoldEntry[]): ScaffoldEntry[] {
  const { out, files } = walkBundle(plan, root, scaffold);
  // A cache that kept only parts of files fetches every one at once, not one engine call per file.
  root.backend.cache?.prefetch(files.map((f) => f.path));
  for (const f of files) {
    const content = root.readBytes(f.path, MAX_BYTES);
    if (content) out.push({ type: 'file', ...f, content });
  }
  return out;
}

/** Brings in, as one stream from the engine, the files a bundle or written image will read (before bundleEntries). */
export async function prefetchBundle(plan: Plan, root: Root, scaffold: ScaffoldEntry[]): Promise<void> {
  await root.backend.cache?.prefetchAsync(walkBundle(plan, root, scaffold).files.map((f) => f.path));
}

/** The scaffold, the directories and links of copied trees, and the regular files whose bytes the bundle needs. */
function walkBundle(plan: Plan, root: Root, scaffold: ScaffoldEntry[]) {
  const out = [...scaffold];
  const seen = new Set(out.map((e) => e.path));
  let bytes = 0;
  const files: { path: string; mode: number; uid: number; gid: number }[] = [];
  const addFile = (path: string) => {
    const e = root.lstat(path);
    if (e?.type !== 'file' || seen.has(path)) return;
    bytes += e.size;
    if (bytes > MAX_BYTES || out.length > MAX_ENTRIES) {
      throw new ScratchifyError('USAGE', `the bundle would exceed ${MAX_BYTES >> 30} GiB or ${MAX_ENTRIES} entries at ${path}`, {
        hint: 'use the COPY lines (--base) for an image this large',
      });
    }
    seen.add(path);
    files.push({ path, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid });
  };
  const walk = (dir: string, depth: number) => {
    if (depth > 64) return;
    for (const name of root.readdir(dir)) {
      const p = `${dir}/${name}`;
      const e = root.lstat(p);
      if (!e || seen.has(p)) continue;
      if (e.type === 'dir') {
        seen.add(p);
        out.push({ type: 'dir', path: p, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid });
        walk(p, depth + 1);
      } else if (e.type === 'symlink') {
        seen.add(p);
        out.push({ type: 'symlink', path: p, target: root.linkTarget(p) });
      } else {
        addFile(p);
      }
    }
  };
  for (const f of plan.files.keys()) addFile(f);
  for (const t of plan.trees.keys()) walk(t, 0);
  return { out, files };
}
