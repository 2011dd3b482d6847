/** One error type for every structural problem in an ELF file, as Go's debug/elf FormatError. */
export class ElfFormatError extends Error {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(`${file}: ${reason} (at byte offset ${offset})`);
    this.name = 'ElfFormatError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** The file does not start with the ELF magic: a script, a text file, or something else entirely. */
export class NotElfError extends ElfFormatError {
  readonly shebang?: string;

  constructor(file: string, shebang?: string) {
    super(file, 0, shebang ? `not an ELF file: a script for ${shebang}` : 'not an ELF file (no ELF magic)');
    this.name = 'NotElfError';
    this.shebang = shebang;
  }
}
