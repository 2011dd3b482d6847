import type { ElfFile } from '../elf/file.js';
import { ElfFormatError } from '../elf/errors.js';
import type { Root } from '../rootfs/root.js';

/** Bound on the entries one search visits, so a huge or hostile tree cannot keep doctor walking. */
const MAX_ENTRIES = 400_000;
/** Trees that hold no libraries, only the kernel's, or (in a machine's root) other images' files. */
const SKIP = new Set([
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/tmp',
  '/var/cache',
  '/var/log',
  '/var/lib/docker',
  '/var/lib/containers',
  '/var/lib/apt',
  '/usr/include',
  '/usr/src',
  '/usr/share/doc',
  '/usr/share/locale',
]);

/** A directory's entries; none when it went away or cannot be read (a live machine's root changes as it is read). */
function entries(root: Root, dir: string): string[] {
  try {
    return root.readdir(dir);
  } catch (e) {
    if (['ENOENT', 'EACCES', 'ENOTDIR', 'ELOOP'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
}

/** A file elsewhere in the root that the loader would take for `name`, were it on the path searched. */
export interface Candidate {
  /** Its path, every symlink resolved inside the root. */
  path: string;
  /** 'name': its file name is the name asked for; 'soname': only its DT_SONAME is (libgreet.so.1.0.0). */
  by: 'name' | 'soname';
}

/** "libgreet" of "libgreet.so.1": files named after it are the ones whose SONAME can be the name asked for. */
function stem(name: string): string {
  const i = name.indexOf('.so');
  return i > 0 ? name.slice(0, i) : name;
}

/**
 * Files in `root` that would answer `name` for an object of `needing`'s class, byte order and machine: by file
 * name, or by DT_SONAME among files whose names start as the name does. A library on another directory, or one
 * installed without its SONAME link, is what a wrong RUNPATH or a missing ldconfig leaves. Symlinks to
 * directories are not followed (each file is reached once, by its own path).
 */
export function findElsewhere(
  root: Root,
  name: string,
  needing: Pick<ElfFile, 'class' | 'data' | 'machine'>,
  skip: string[] = [],
): Candidate[] {
  const want = stem(name);
  const out: Candidate[] = [];
  const seen = new Set<string>(skip);
  const queue = ['/'];
  let visited = 0;
  while (queue.length > 0 && visited < MAX_ENTRIES) {
    const dir = queue.shift()!;
    for (const n of entries(root, dir).sort()) {
      if (++visited > MAX_ENTRIES) break;
      const path = dir === '/' ? `/${n}` : `${dir}/${n}`;
      const e = root.lstat(path);
      if (!e) continue;
      if (e.type === 'dir') {
        if (!SKIP.has(path)) queue.push(path);
        continue;
      }
      if (!n.startsWith(want)) continue;
      const real = root.lookup(path)?.path;
      if (!real || seen.has(real) || root.lstat(real)?.type !== 'file') continue;
      const elf = readElf(root, real);
      if (!elf || elf.class !== needing.class || elf.data !== needing.data || elf.machine !== needing.machine) continue;
      const by = n === name ? 'name' : elf.soname === name ? 'soname' : undefined;
      if (!by) continue;
      seen.add(real);
      out.push({ path: by === 'name' ? path : real, by });
    }
  }
  // A file that has the name itself is the plainer fix than one known by its SONAME alone.
  return out.sort((a, b) => (a.by === b.by ? 0 : a.by === 'name' ? -1 : 1));
}

function readElf(root: Root, real: string): ElfFile | undefined {
  try {
    return root.readElf(real);
  } catch (e) {
    if (e instanceof ElfFormatError || ['ENOENT', 'EACCES', 'EISDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}
