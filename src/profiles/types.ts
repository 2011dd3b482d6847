import type { ElfFile } from '../elf/file.js';
import type { Root } from '../rootfs/root.js';

export interface Because {
  path: string;
  reason: string;
}

/** How a traced run used a path; what the image needs of it follows from that. */
export type Use =
  /** Opened for reading, executed, stat'ed or read as a link: the image needs it as the base has it. */
  | 'read'
  /** Listed (getdents) or entered (chdir): the directory must exist; its entries only if the run used them. */
  | 'dir'
  /** Created or written: the run makes it itself; its directory must exist. */
  | 'written';

/** What a program needs beyond its DT_NEEDED closure, learned from its own configuration (read, never run). */
export interface ProfileResult {
  name: string;
  /** Files the program opens: configuration, data. */
  files: Because[];
  /** Directories copied whole (a config tree, a web root). */
  trees: Because[];
  /** ELF objects the program dlopens; their libraries are resolved too. `ifElf`: a candidate by name only. */
  dlopen: (Because & { ifElf?: boolean })[];
  /** Directories that must exist (and be writable by `writableBy`) when the program starts. */
  writable: (Because & { owner?: string })[];
  /** Accounts the configuration names. */
  users: string[];
  /** Directories the program makes its unix sockets in (PostgreSQL's unix_socket_directories). */
  sockets?: string[];
  /** Directories of data the image ships and the program writes (a database's cluster): a volume, never a tmpfs. */
  state?: string[];
  /** Set when the program must start as root to drop privileges itself; says why. */
  needsRoot?: string;
  /** The account the program must run as, when the base names none (a database: the owner of its data). */
  runsAs?: { uid: number; why: string };
  /** Arguments put before the user's in ENTRYPOINT (nginx: stay in the foreground). */
  defaultArgs: string[];
  warnings: string[];
  /** What the profile did that the user should know, not a problem. */
  notes: string[];
}

export interface ProfileContext {
  root: Root;
  /** The program as the user named it, and its real path in the root. */
  program: string;
  real: string;
  /** The program's ELF header, when it has been read: its ABI names the library directories. */
  elf?: ElfFile;
  /** The arguments it starts with (the image's ENTRYPOINT after the program, and CMD), and its environment. */
  args?: readonly string[];
  env?: readonly string[];
}

export function emptyProfile(name: string): ProfileResult {
  return { name, files: [], trees: [], dlopen: [], writable: [], users: [], defaultArgs: [], warnings: [], notes: [] };
}

/**
 * What one source of needs adds to the image, as data: profiles, glibc's run-time needs, compiled-in paths,
 * traced runs, the command line's paths, the base's configuration, package metadata. generate applies each to its
 * plan the same way (src/generate/apply.ts), with the reason each entry carries.
 */
export interface Additions {
  /** Files or directories of the base, copied as they are (a directory whole). */
  copy: Because[];
  /** Directories created empty: with this mode and owner, else the base's; `writable`: the program writes into it. */
  dirs: (Because & { mode?: number; uid?: number; gid?: number; writable?: boolean })[];
  /** ELF objects loaded as if the program dlopen'ed them; `ifElf`: a candidate by name, loaded only if it is one. */
  dlopen: (Because & { ifElf?: boolean })[];
  /** The dlopen'ed objects were loaded together by one run, in an order that worked: each finds the others by name. */
  together?: boolean;
  /** Files written into the image. */
  generated: { path: string; content: string; reason: string }[];
  /** Base files carried in the scaffold archive instead of a COPY layer each (copyright files). */
  carried: Because[];
  links: { path: string; target: string }[];
  notes: string[];
  warnings: string[];
  /** True in almost every base and changing nothing: shown with --verbose. */
  details: string[];
}

export function noAdditions(extra: Partial<Additions> = {}): Additions {
  return { copy: [], dirs: [], dlopen: [], generated: [], carried: [], links: [], notes: [], warnings: [], details: [], ...extra };
}

/** What a profile adds to every image of its program (its accounts, user and writable directories are decided in generate). */
export function profileAdditions(p: ProfileResult): Additions {
  return noAdditions({ copy: [...p.files, ...p.trees], dlopen: p.dlopen, notes: p.notes, warnings: p.warnings });
}
