import { type ElfFormatError, NotElfError } from '../elf/errors.js';
import { ScratchifyError } from '../errors.js';
import { LookupError } from '../rootfs/root.js';

/**
 * A program or --include the root cannot give the resolver (missing, not ELF, malformed). The input is at
 * fault, so this is the user's error as it stands, with its code and hint; callers that can carry on (doctor
 * reporting a dlopen failure) catch it by type, and everything else lets it reach the command's boundary.
 */
export class InputError extends ScratchifyError {
  constructor(
    readonly path: string,
    override readonly cause: LookupError | ElfFormatError,
    where: string,
  ) {
    super(...describe(path, cause, where));
    this.name = 'InputError';
  }
}

function describe(path: string, cause: LookupError | ElfFormatError, where: string): ConstructorParameters<typeof ScratchifyError> {
  if (cause instanceof LookupError) {
    return [
      'INPUT_NOT_FOUND',
      `${path}: not found in ${where} (${cause.message})`,
      { hint: 'give the path as it is inside the image or root, e.g. /usr/sbin/nginx', cause },
    ];
  }
  if (cause instanceof NotElfError && cause.shebang) {
    return [
      'BAD_ELF',
      `${path}: a script for ${cause.shebang}, not an ELF binary`,
      { hint: `pass its interpreter (${cause.shebang}) as the binary and the script with --include`, cause },
    ];
  }
  const at = cause instanceof NotElfError ? '' : ` (at byte offset ${cause.offset})`;
  return ['BAD_ELF', `${path}: ${cause.reason}${at} in ${where}`, { hint: 'pass an ELF executable or shared object', cause }];
}
