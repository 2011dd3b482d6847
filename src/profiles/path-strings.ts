import type { ElfFile } from '../elf/file.js';
import { scanPathStrings } from '../elf/path-strings.js';
import type { Root } from '../rootfs/root.js';

/**
 * The absolute paths an ELF object of the root names in its read-only data (see scanPathStrings). An image's
 * cache found them when it was made, and keeps no read-only data to scan again.
 */
export function pathStrings(root: Root, real: string, elf: ElfFile): string[] {
  const known = root.backend.cache?.pathStrings(real);
  if (known) return known;
  const src = root.backend.open(real);
  try {
    return scanPathStrings(src, elf);
  } finally {
    src.close();
  }
}
