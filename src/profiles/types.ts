import type { ElfFile } from '../elf/file.js';
import type { Root } from '../rootfs/root.js';
import { type Additions, type Because, noAdditions } from '../additions.js';

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

/** What a profile adds to every image of its program (its accounts, user and writable directories are decided in generate). */
export function profileAdditions(p: ProfileResult): Additions {
  return noAdditions({ copy: [...p.files, ...p.trees], dlopen: p.dlopen, notes: p.notes, warnings: p.warnings });
}
