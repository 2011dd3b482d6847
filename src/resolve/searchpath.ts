import { abiOf } from '../elf/abi.js';
import type { ElfFile } from '../elf/file.js';
import type { Root } from '../rootfs/root.js';

/** Debian's multiarch tuple for an object, which names glibc's library directories on Debian and Ubuntu. */
export function multiarchTuple(elf: ElfFile): string | undefined {
  return abiOf(elf)?.tuple;
}

/** The value of $PLATFORM (AT_PLATFORM) for an object's machine. */
export function loaderPlatform(elf: ElfFile): string {
  return abiOf(elf)?.platform ?? '';
}

/**
 * A guess at glibc's trusted directories, for when the loader file holds no readable list (loaderFacts) or
 * there is no loader: from where it lives, a Debian multiarch directory, lib32/lib64 for biarch builds, else lib.
 */
export function glibcDefaultDirs(interpreterReal: string | undefined, elf: ElfFile): string[] {
  const dir = interpreterReal ? interpreterReal.slice(0, interpreterReal.lastIndexOf('/')) : '';
  const tuple = multiarchTuple(elf);
  if (tuple && dir.endsWith(`/${tuple}`)) return [`/lib/${tuple}`, `/usr/lib/${tuple}`, '/lib', '/usr/lib'];
  if (dir.endsWith('lib32')) return ['/lib32', '/usr/lib32'];
  if (dir.endsWith('libx32')) return ['/libx32', '/usr/libx32'];
  if (dir.endsWith('lib64')) return ['/lib64', '/usr/lib64'];
  return ['/lib', '/usr/lib'];
}

/** ld.so files are a few hundred KB; read no more than this looking for the directory list. */
const MAX_LOADER_BYTES = 8 << 20;

/** What a glibc loader file says about its own search, read from it and never run. */
export interface LoaderFacts {
  /** SYSTEM_DIRS, stored as consecutive NUL-terminated strings ("/lib/x86_64-linux-gnu/", ..., "/usr/lib/"). */
  systemDirs?: string[];
  /** glibc up to 2.36 also searches legacy hwcap subdirectories (tls/, the platform's) of every directory. */
  legacyHwcaps: boolean;
}

export function loaderFacts(root: Root, loaderReal: string): LoaderFacts {
  const src = root.backend.open(loaderReal);
  let text: string;
  try {
    text = src.read(0, Math.min(src.size, MAX_LOADER_BYTES)).toString('latin1');
  } finally {
    src.close();
  }
  const m = /\0((?:\/(?:usr\/)?lib[\w.+-]*(?:\/[\w.+-]+)*\/\0){2,8})/.exec(text);
  return {
    systemDirs: m
      ? m[1]
          .split('\0')
          .filter(Boolean)
          .map((d) => d.replace(/\/$/, ''))
      : undefined,
    // The loader's own --help text names the feature; glibc 2.37 removed both.
    legacyHwcaps: text.includes('Legacy HWCAP subdirectories'),
  };
}

/**
 * Legacy hwcap subdirectories in glibc's search order, most specific first, as LD_DEBUG=libs shows them for
 * x86-64: tls/x86_64/x86_64, tls/x86_64, tls, x86_64/x86_64, x86_64 (platform and hwcap are both "x86_64").
 */
export function legacySubdirs(elf: ElfFile): readonly string[] {
  const p = loaderPlatform(elf);
  let dirs = legacyByPlatform.get(p);
  if (!dirs) {
    dirs = Object.freeze(p ? [`tls/${p}/${p}`, `tls/${p}`, 'tls', `${p}/${p}`, p] : ['tls']);
    legacyByPlatform.set(p, dirs);
  }
  return dirs;
}

/** Asked once per program; the answer depends only on the platform. */
const legacyByPlatform = new Map<string, readonly string[]>();

/** $LIB as the loader expands it: its first trusted directory without the slash (lib/x86_64-linux-gnu, lib64). */
export function libToken(defaults: string[]): string {
  return (defaults[0] ?? '/lib').slice(1);
}

/**
 * Expands $ORIGIN, $LIB and $PLATFORM (also in ${…} form) in one search-path element or DT_NEEDED name.
 * Returns undefined when the element names a token the loader does not know, which makes it drop the element.
 */
export function expandTokens(s: string, tokens: { ORIGIN: string; LIB: string; PLATFORM: string }): string | undefined {
  if (!s.includes('$')) return s;
  let unknown = false;
  const out = s.replace(/\$(\{([A-Za-z_]+)\}|([A-Za-z_]+))/g, (_m, _a, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name === 'ORIGIN' || name === 'LIB' || name === 'PLATFORM') return tokens[name];
    unknown = true;
    return '';
  });
  return unknown ? undefined : out;
}

/** Splits a DT_RPATH / DT_RUNPATH / LD_LIBRARY_PATH string; glibc drops empty elements of DT_R*PATH too. */
export function splitPath(s: string | undefined): string[] {
  if (!s) return [];
  return s.split(':').filter((p) => p !== '');
}

/** musl's library path: /etc/ld-musl-<arch>.path (newline or colon separated), else musl's built-in default. */
export function muslSysPath(root: Root, interpreter: string): string[] {
  const arch = /ld-musl-([^/]+)\.so\.1$/.exec(interpreter)?.[1];
  const text = arch ? root.readText(`/etc/ld-musl-${arch}.path`, 64 << 10) : undefined;
  if (text === undefined) return ['/lib', '/usr/local/lib', '/usr/lib'];
  return text
    .split(/[\n:]/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Names musl's loader answers with itself, since libc, libpthread, libm, libdl... are all one file there. */
export function isMuslReservedName(name: string): boolean {
  return /^lib(c|pthread|rt|m|dl|util|xnet)\.so(\.\d+)*$/.test(name);
}

/**
 * The glibc loader that runs a shared object which has no PT_INTERP of its own: the one of the process that
 * dlopens it, which for the system's programs is the ABI's standard interpreter (what `ld.so --list` uses).
 */
export function standardGlibcInterpreter(elf: ElfFile): string | undefined {
  return abiOf(elf)?.interpreter;
}
