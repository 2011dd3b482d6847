/** What the ELF reader returns: the dynamic-linking view of a file, in one shape for every class and byte order. */

/** One version dependency: the versions this object needs from the object named `file` (DT_VERNEED). */
export interface VersionNeed {
  file: string;
  versions: string[];
  /** The subset marked VER_FLG_WEAK: the loader only warns when these are missing. */
  weak: string[];
}

/** The dynamic-linking view of an ELF file, decoded once from either class and byte order. */
export interface ElfFile {
  class: 32 | 64;
  data: 'LSB' | 'MSB';
  osabi: number;
  type: number;
  machine: number;
  /** e_flags: the ARM float ABI and RISC-V float ABI live here, and ld.so.cache keys on them. */
  eflags: number;
  interpreter?: string;
  /** True when the file has a PT_DYNAMIC segment; static executables have none. */
  dynamic: boolean;
  /** File offset of the first writable, non-executable PT_LOAD: where Go puts its build info. */
  dataOffset?: number;
  /**
   * File ranges of the read-only data: the read-only, non-executable PT_LOADs (where .rodata goes when the
   * linker separates code), else every read-only one (older links put .rodata beside the code).
   */
  constData?: { offset: number; size: number }[];
  needed: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  flags: number;
  flags1: number;
  /** Undefined when parsed with `versions: false` (the resolver does not need them). */
  verneed?: VersionNeed[];
  /** Version names this object defines (DT_VERDEF), the base entry (its own name) excluded. */
  verdef?: string[];
  /** Of the names asked for with `imports`, those this object leaves undefined (imports from others). */
  imports?: string[];
}

export interface ParseOptions {
  /** Read DT_VERNEED and DT_VERDEF (symbol versions); default true. */
  versions?: boolean;
  /** Dynamic symbols to look for among the object's undefined ones (pthread_cancel, iconv_open...). */
  imports?: ReadonlySet<string>;
}
