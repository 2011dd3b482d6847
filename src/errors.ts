/**
 * Every error a user can cause, with a stable code and exit status. The message names the input at fault;
 * the hint says what to do. docs/errors.md lists the same values.
 */
export const EXIT_CODES = {
  UNRESOLVED: 1, // ran fine, but a library, interpreter or include was not found
  USAGE: 2, // bad flags or arguments (oclif's own parse errors use 2 as well)
  INPUT_NOT_FOUND: 3, // a binary or --include path does not exist in the root
  BAD_ELF: 4, // not an ELF file, truncated, or malformed
  ROOT_UNREADABLE: 5, // --root is missing, not a directory, or not readable
  ENGINE_UNAVAILABLE: 6, // docker/podman missing or not answering
  IMAGE_NOT_FOUND: 7, // the engine does not have the image
  CONFIG_INVALID: 8, // a program's config (nginx.conf) does not parse
  MISMATCH: 9, // verify: the scratch image does not behave as the base
  OUTPUT_FAILED: 10, // the output file could not be written
  NOTHING_TO_COMPARE: 11, // verify: a smoke command fails in the base too
  BUILD_FAILED: 12, // verify: the engine could not build the image
  PLATFORM_MISMATCH: 13, // the program's architecture is not the base's, or --platform names one the base lacks
  CANNOT_RUN: 14, // verify or --trace of an image whose architecture this machine cannot run (no binfmt_misc handler)
  CACHE_DAMAGED: 15, // what the image cache kept of an image is damaged or no longer matches it (cache prune mends it)
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export class ScratchifyError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ScratchifyError';
    this.code = code;
    this.hint = options.hint;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, exitCode: this.exitCode, message: this.message, hint: this.hint };
  }
}

/** The one line (and hint) a user error prints on stderr, from oclif's commands and the fast path alike. */
export function errorText(err: ScratchifyError): string {
  return `scratchify: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`;
}
