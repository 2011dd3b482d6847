import { execFileSync } from 'node:child_process';

/** What `ld.so --list` printed: sonames (or paths) to the path loaded, null when not found. */
export interface LdsoListing {
  found: Map<string, string | null>;
  /** The first library the loader could not load, from its fatal "error while loading" line. */
  fatal?: string;
}

/** Parses `ld.so --list` (glibc) or `ld-musl --list` output; vdso lines are dropped. */
export function parseLdsoList(text: string): LdsoListing {
  const found = new Map<string, string | null>();
  let fatal: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const err = /error while loading shared libraries: ([^:]+):/.exec(line);
    if (err) fatal = err[1];
    let m = /^(\S+) => not found$/.exec(line);
    if (m) {
      found.set(m[1], null);
      continue;
    }
    m = /^(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (m) {
      found.set(m[1], m[2]);
      continue;
    }
    m = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (m) found.set(m[1], m[1]);
  }
  return { found, fatal };
}

/** Runs the host's loader in list mode on a fixture we built ourselves (never on a file from an image). */
export function hostLdsoList(loader: string, file: string, env: Record<string, string> = {}): LdsoListing {
  let out: string;
  try {
    out = execFileSync(loader, ['--list', file], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    out = `${err.stdout ?? ''}\n${err.stderr ?? ''}`;
  }
  return parseLdsoList(out);
}
