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
  /** Set when the program must start as root to drop privileges itself; says why. */
  needsRoot?: string;
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
}

export function emptyProfile(name: string): ProfileResult {
  return { name, files: [], trees: [], dlopen: [], writable: [], users: [], defaultArgs: [], warnings: [], notes: [] };
}
