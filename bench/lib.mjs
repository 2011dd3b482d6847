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

/**
 * Node 20 reads and parses the NODE_EXTRA_CA_CERTS bundle before running any JavaScript (~40 ms here, where the
 * variable is set machine-wide). scratchify makes no TLS connections, so its rows are also measured without it:
 * this environment, when the variable is set.
 */
export const CA_VAR = 'NODE_EXTRA_CA_CERTS';
export const withoutCa = process.env[CA_VAR] ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== CA_VAR)) : undefined;
