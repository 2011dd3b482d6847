// Helpers shared by the bench scripts.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** True for a regular file that starts with the ELF magic (on the host: bench inputs are this machine's). */
export function isElfFile(p) {
  try {
    if (!statSync(p).isFile()) return false;
    const fd = openSync(p, 'r');
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    closeSync(fd);
    return b.toString('latin1') === '\x7fELF';
  } catch {
    return false;
  }
}

/** Takes `--name VALUE` out of argv (in place) and returns VALUE, or `dflt` when the option is not there. */
export function takeOption(argv, name, dflt) {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
}
