/*
 * The shapes every source of needs returns and the generator applies: a path with its reason, how a run used a
 * path, and what one source adds. They sit under every floor that makes or reads them, so none imports another's.
 */

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

/** A path a run used, with how and why: a traced run's, a service's, what --fix added. */
export type UsedPath = Because & { use: Use };

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
