import type { FlagSpecs, StringFlagSpec } from './fast/parse.js';

/**
 * The flags several commands take, declared once, as plain data so `resolve`'s fast path can read them without
 * loading oclif. A command that gives one a narrower meaning says so in its own description, not here.
 */
export const SHARED_FLAGS = {
  base: {
    char: 'b',
    description:
      'the image to read the files from, through the engine (nothing of it runs on this machine); or without one: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], docker://NAME:TAG',
  },
  root: { char: 'r', description: "a directory to treat as the image's / (default: this machine's /)" },
  include: {
    char: 'i',
    description: "more files, directories or globs inside the image; ELF objects among them are loaded as if the program dlopen'ed them",
    multiple: true,
  },
  engine: {
    description: 'container engine (default: docker, else podman); none: read --base from its registry, with no engine',
    options: ['docker', 'podman', 'none'],
  },
  'library-path': { description: 'directories searched as LD_LIBRARY_PATH (colon separated)' },
} as const satisfies FlagSpecs;

export type SharedFlag = keyof typeof SHARED_FLAGS;

/** One shared flag's spec, with command-specific additions (exclusive, a default). */
export function shared(name: SharedFlag, extra: Partial<StringFlagSpec> = {}): StringFlagSpec {
  return { ...SHARED_FLAGS[name], ...extra };
}
