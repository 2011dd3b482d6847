import { formatBytes } from '../resolve/sizes.js';
import type { ElfFile } from '../elf/file.js';
import { type DpkgDatabase, type DpkgPackage, dependsOf } from '../packages/dpkg.js';
import type { Root } from '../rootfs/root.js';
import { pathStrings } from './path-strings.js';
import { type Additions, type Because, noAdditions } from '../additions.js';

/** A data directory named in a binary is copied whole up to this size; past it, or holding ELF objects, it is created empty. */
export const MAX_REFERENCED_TREE_BYTES = 16 << 20;
const MAX_TREE_ENTRIES = 5000;

/**
 * Never taken from a compiled-in name: the kernel's and the devices' trees, run-time and temporary directories
 * the program makes its own, homes, the accounts (the scaffold writes them) and their hashes, and shells, which a
 * program names to run commands a user gives it (an image without a shell is the point).
 */
const NEVER =
  /^\/(proc|sys|dev|run|tmp|home|root|var\/(run|tmp|lock|log|cache|spool|mail))(\/|$)|^\/etc\/(shadow|gshadow|passwd|group|ld\.so\.(cache|conf))-?$/;
const SHELL = /(^|\/)(sh|bash|dash|ash|zsh|ksh|csh|tcsh|busybox)$/;

export interface ReferencedObject {
  /** The object's real path, and whether it is the program itself (its own names are trusted more). */
  real: string;
  elf: ElfFile;
  program: boolean;
}

export interface References {
  /** Files to copy; ELF ones among them are resolved as if dlopen'ed (`elf`). */
  files: (Because & { elf: boolean })[];
  /** Data directories copied whole. */
  trees: Because[];
  /** Directories created empty with the base's mode and owner: too large, or holding programs and modules. */
  dirs: (Because & { mode: number; uid: number; gid: number })[];
  /** What the program named but was left out or created empty, and why: for the note and --json. */
  reported: string[];
  /** The same for what libraries named (their plugin directories): printed with --verbose. */
  details: string[];
  /** Bytes of what the rule copies (files and trees). */
  bytes: number;
}

/**
 * What the program and its libraries name as absolute paths in their read-only data that the base holds: a
 * configuration file, a data directory (the timezone database PostgreSQL and PHP read, file's magic, gawk's
 * library), a helper. Taken when the path belongs to the naming object's own Debian package, to a package it
 * depends on, or to the program's own package or one it depends on; a file the program itself names (not a
 * library) is taken from any package unless it is an ELF object. glibc's own names are left to the run-time
 * needs (NSS, gconv, localtime); library directories of the loader's search are never copied. Without dpkg data
 * only the program's own names of data files are taken.
 */
export function compiledReferences(
  root: Root,
  objects: ReferencedObject[],
  db: DpkgDatabase | undefined,
  libraryDirs: ReadonlySet<string>,
): References {
  const out: References = { files: [], trees: [], dirs: [], reported: [], details: [], bytes: 0 };
  const seen = new Set<string>();
  const loaded = new Set(objects.map((o) => o.real));
  const program = objects.find((o) => o.program);
  const programPkg = program && db?.ownerOf(program.real);
  const programAllowed = programPkg ? new Set([programPkg.name, ...dependsOf(programPkg)]) : new Set<string>();
  for (const o of objects) {
    const pkg = db?.ownerOf(o.real);
    if (pkg?.name === 'libc6' || (!db && !o.program)) continue;
    // A library's names count when its own packages ship them, or the program's package does (libcrypto names
    // /usr/lib/ssl, which the openssl program's package ships): not what any dependency of the program ships.
    const allowed = o.program
      ? programAllowed
      : new Set([...(programPkg ? [programPkg.name] : []), ...(pkg ? [pkg.name, ...dependsOf(pkg)] : [])]);
    const name = o.real.slice(o.real.lastIndexOf('/') + 1);
    for (const s of pathStrings(root, o.real, o.elf)) {
      if (seen.has(s) || NEVER.test(s) || SHELL.test(s) || s.includes('/../') || s.includes('/./')) continue;
      seen.add(s);
      const r = root.lookup(s);
      if (!r || r.path.split('/').length < 3 || libraryDirs.has(r.path) || NEVER.test(r.path) || loaded.has(r.path)) continue;
      const why = `named in ${name}'s read-only data`;
      if (r.entry.type === 'file') {
        const elf = isElfFile(root, r.path);
        const owner = db?.ownerOf(r.path);
        const ok = owner ? allowed.has(owner.name) || (o.program && !elf) : o.program && !elf;
        if (!ok) continue;
        out.files.push({ path: s, reason: why, elf });
        out.bytes += r.entry.size;
        // A data file of another package names its whole data set (PHP reads zone.tab, then the zones beside
        // it): the directory comes too, when that package alone fills it with data.
        const dir = r.path.slice(0, r.path.lastIndexOf('/'));
        if (db && owner && owner !== pkg && !elf && dir.split('/').length >= 4 && !seen.has(dir) && !libraryDirs.has(dir)) {
          seen.add(dir);
          const owners = ownersUnder(root, db, dir);
          const tree = measure(root, dir);
          if (owners.size === 1 && owners.has(owner) && tree.elf === 0 && tree.bytes <= MAX_REFERENCED_TREE_BYTES && !tree.cut) {
            out.trees.push({ path: dir, reason: `${why} (${owner.name}'s data, around ${s.slice(dir.length + 1)})` });
            out.bytes += tree.bytes;
          }
        }
      } else if (r.entry.type === 'dir') {
        const owners = db ? ownersUnder(root, db, r.path) : undefined;
        if (owners && (owners.size === 0 || ![...owners].every((p) => allowed.has(p.name)))) continue;
        if (!db && !o.program) continue;
        const tree = measure(root, r.path);
        if (tree.elf === 0 && tree.bytes <= MAX_REFERENCED_TREE_BYTES && !tree.cut) {
          out.trees.push({ path: s, reason: why });
          out.bytes += tree.bytes;
          // A link in it to a file elsewhere (/usr/lib/ssl/openssl.cnf -> /etc/ssl/openssl.cnf) must not dangle.
          for (const f of tree.linkedFiles) out.files.push({ path: f, reason: `${why} (a link in ${s} leads to it)`, elf: false });
          continue;
        }
        const what = tree.elf ? `${tree.elf} programs or modules` : `over ${MAX_REFERENCED_TREE_BYTES >> 20} MiB`;
        if (!o.program) {
          // A library's plugin directory: the library copes without it; the program would say if it needs one.
          out.details.push(`${s}, named by ${name}, holds ${what}: left out (--include ${s} carries it)`);
          continue;
        }
        // The program's own directory (PostgreSQL checks its lib directory exists): there, empty.
        const e = r.entry;
        out.dirs.push({ path: s, reason: `${why} (created empty)`, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid });
        out.reported.push(
          `${s} holds ${what}: the directory is created, without them (--include ${s} carries ${tree.elf ? 'them and what they load' : 'it'})`,
        );
      }
    }
  }
  return out;
}

function isElfFile(root: Root, path: string): boolean {
  return root.readHead(path, 4)?.toString('latin1') === '\x7fELF';
}

/** The packages owning what a directory holds (its first entries: a directory is one package's or many's). */
function ownersUnder(root: Root, db: DpkgDatabase, dir: string): Set<DpkgPackage> {
  const owners = new Set<DpkgPackage>();
  const own = db.listedBy(dir);
  if (own) owners.add(own);
  let looked = 0;
  const walk = (d: string, depth: number) => {
    for (const n of root.readdir(d)) {
      if (looked++ > 200 || depth > 8) return;
      const p = `${d}/${n}`;
      const e = root.lstat(p);
      const owner = db.listedBy(p);
      if (owner) owners.add(owner);
      if (e?.type === 'dir') walk(p, depth + 1);
    }
  };
  walk(dir, 0);
  return owners;
}

/**
 * A directory's bytes, how many ELF objects it holds, the files outside it its links lead to, and whether the walk
 * stopped at its bounds.
 */
function measure(root: Root, dir: string): { bytes: number; elf: number; cut: boolean; linkedFiles: string[] } {
  let bytes = 0;
  let elf = 0;
  let entries = 0;
  let cut = false;
  const linkedFiles: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const n of root.readdir(d)) {
      if (++entries > MAX_TREE_ENTRIES || depth > 16 || bytes > MAX_REFERENCED_TREE_BYTES) {
        cut = true;
        return;
      }
      const p = `${d}/${n}`;
      const e = root.lstat(p);
      if (e?.type === 'dir') walk(p, depth + 1);
      else if (e?.type === 'file') {
        bytes += e.size;
        if (e.size > 64 && isElfFile(root, p)) elf++;
      } else if (e?.type === 'symlink') {
        const r = root.lookup(p);
        if (r?.entry.type === 'file' && !r.path.startsWith(`${dir}/`) && !NEVER.test(r.path)) linkedFiles.push(r.path);
      }
    }
  };
  walk(dir, 0);
  return { bytes, elf, cut, linkedFiles };
}

/** The references as the image takes them: copies (ELF ones loaded as if dlopen'ed), directories, and what to say. */
export function referenceAdditions(refs: References): Additions {
  const adds = noAdditions({
    copy: [...refs.files, ...refs.trees],
    dirs: refs.dirs,
    dlopen: refs.files.filter((f) => f.elf),
    notes: refs.reported.map((r) => `compiled-in path ${r}`),
    details: refs.details.map((r) => `compiled-in path ${r}`),
  });
  if (refs.files.length + refs.trees.length)
    adds.notes.unshift(
      `compiled-in paths: ${counted(refs.files.length, 'file')}${refs.trees.length ? ` and ${counted(refs.trees.length, 'directory', 'directories')}` : ''} (${formatBytes(refs.bytes)}) named in the program's or its libraries' read-only data were added (--no-references leaves them out)`,
    );
  return adds;
}

const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
