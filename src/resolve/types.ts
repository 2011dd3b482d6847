import type { ElfFile } from '../elf/file.js';
import type { LinkHop } from '../rootfs/root.js';

/** How the loader came to open an object, in libtree's terms. */
export type HowKind =
  | 'program' // named by the user
  | 'include' // added with --include: loaded as if dlopen'ed by the first program
  | 'interpreter' // PT_INTERP
  | 'path' // a DT_NEEDED name with a slash in it
  | 'rpath' // DT_RPATH of `owner` (the needing object or one of its loaders)
  | 'ld_library_path'
  | 'runpath' // DT_RUNPATH of the needing object
  | 'ld.so.cache'
  | 'default' // the loader's built-in directories
  | 'musl-path' // /etc/ld-musl-<arch>.path or musl's defaults
  | 'musl-libc'; // a libc name that musl's loader answers with itself

export interface How {
  kind: HowKind;
  /** The object whose DT_RPATH or DT_RUNPATH held the directory. */
  owner?: string;
  /** The search-path entry as written there ($ORIGIN/../lib), before the loader expanded it. */
  entry?: string;
}

/** A path the search tried and why it did not take it. */
export interface Tried {
  path: string;
  why: 'missing' | 'wrong class' | 'wrong byte order' | 'wrong machine' | 'wrong OS ABI' | 'not ELF' | 'unreadable' | 'not a file';
  detail?: string;
  /** The loader's rule that gave the path (none for a missing interpreter or a dlopen). */
  how?: How;
}

/** One object in a process's link map. */
export interface LoadedObject {
  /** The name it was asked for (a soname, or a path). */
  name: string;
  /** The path the loader opens, before symlinks. */
  path: string;
  /** The file itself, every symlink resolved inside the root. */
  real: string;
  hops: LinkHop[];
  elf: ElfFile;
  size: number;
  how: How;
  /** Why it was dlopen'ed (an nginx load_module line, --include PATTERN, a traced run); `how` stays the loader's account. */
  dlopenReason?: string;
  /** The object whose DT_NEEDED first brought it in (glibc's l_loader); none for programs and includes. */
  loader?: LoadedObject;
  deps: Dependency[];
}

/** One DT_NEEDED entry of an object and what satisfied it. */
export interface Dependency {
  name: string;
  object?: LoadedObject;
  /** True when an object already in the link map answered the name (no search happened). */
  reused: boolean;
  tried: Tried[];
}

/** One process: a program, its interpreter, everything loaded for it, and the --include objects. */
export interface LinkMap {
  program: LoadedObject;
  /** Objects in load order (breadth-first, as glibc loads them). */
  objects: LoadedObject[];
  /** Set when PT_INTERP names a file the root does not have (exec then fails with ENOENT). */
  missingInterpreter?: string;
  libc: 'glibc' | 'musl' | 'static' | 'other';
}

export interface ResolveOptions {
  /** Directories as LD_LIBRARY_PATH would give them, searched after DT_RPATH. */
  libraryPath?: string[];
  /** glibc-hwcaps subdirectories to prefer, best first (e.g. x86-64-v3, x86-64-v2); baseline when empty. */
  hwcaps?: string[];
}
