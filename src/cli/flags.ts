import { Flags } from '@oclif/core';
import type { StringFlagSpec } from './fast/parse.js';
import { SHARED_FLAGS } from './shared-flags.js';

type OclifExtra = { exclusive?: string[]; dependsOn?: string[] };

// oclif types char as one letter; the specs hold single letters by construction.
function props(spec: StringFlagSpec, extra: OclifExtra) {
  return {
    char: spec.char as 'a' | undefined,
    description: spec.description,
    options: spec.options ? [...spec.options] : undefined,
    ...extra,
  };
}

/** An oclif flag with one value, from a plain spec (the fast path reads the same spec). */
export function singleFlag(spec: StringFlagSpec, extra: OclifExtra = {}) {
  return Flags.string({ ...props(spec, extra), default: spec.default });
}

/** An oclif flag that may be repeated, from a plain spec. */
export function multipleFlag(spec: StringFlagSpec, extra: OclifExtra = {}) {
  return Flags.string({ ...props(spec, extra), multiple: true });
}

/** The flags several commands share, declared once in shared-flags.ts. */
export const sharedFlags = {
  base: (extra: OclifExtra = {}) => singleFlag(SHARED_FLAGS.base, extra),
  root: (extra: OclifExtra = {}) => singleFlag(SHARED_FLAGS.root, extra),
  include: (extra: OclifExtra = {}) => multipleFlag(SHARED_FLAGS.include, extra),
  engine: () => singleFlag(SHARED_FLAGS.engine),
  libraryPath: () => singleFlag(SHARED_FLAGS['library-path']),
};
