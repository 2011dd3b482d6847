import { ElfFormatError } from '../elf/errors.js';
import { ScratchifyError } from '../errors.js';
import { LookupError } from '../rootfs/root.js';

/**
 * The errors a user can cause that are not oclif's, as the ScratchifyError they are shown as; undefined for any
 * other (a bug of ours). base-command.ts adds oclif's parse errors; the start-up fast path needs only these.
 */
export function knownError(err: unknown): ScratchifyError | undefined {
  if (err instanceof ScratchifyError) return err;
  if (err instanceof LookupError) {
    return new ScratchifyError('INPUT_NOT_FOUND', err.message, { hint: 'give the path as it is inside the image or root', cause: err });
  }
  if (err instanceof ElfFormatError)
    return new ScratchifyError('BAD_ELF', err.message, { hint: 'pass an ELF executable or shared object', cause: err });
  return undefined;
}
