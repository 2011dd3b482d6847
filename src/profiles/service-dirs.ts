import type { Root } from '../rootfs/root.js';

/**
 * A directory the base's own service conventions create before the service starts (a boot-time tmpfiles.d entry,
 * a systemd unit's RuntimeDirectory=): an image without an init system must hold it already.
 */
export interface ServiceDir {
  path: string;
  mode?: number;
  /** Owner and group by name, as the base's files name them; undefined: root. */
  user?: string;
  group?: string;
  reason: string;
}

/** Bounds on what is read: a base with more units or entries than this is cut short, not read whole. */
const MAX_FILES = 400;
const MAX_BYTES = 256 << 10;

/** tmpfiles.d's directories, later ones overriding (files of the same name in /etc replace /usr/lib's). */
const TMPFILES_DIRS = ['/usr/lib/tmpfiles.d', '/lib/tmpfiles.d', '/etc/tmpfiles.d'];
const UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system', '/etc/systemd/system'];

/** Line types of tmpfiles.d(5) that create a directory (d, D, v, q, Q: a subvolume is a directory here). */
const CREATES_DIR = /^[dDvqQ]!?$/;

function confFiles(root: Root, dirs: readonly string[], suffix: string): Map<string, string> {
  const byName = new Map<string, string>();
  for (const d of dirs) {
    for (const name of root.readdir(d)) {
      if (!name.endsWith(suffix) || byName.size >= MAX_FILES) continue;
      byName.set(name, `${d}/${name}`);
    }
  }
  return byName;
}

const mode = (s: string | undefined) => (s && /^~?[0-7]{3,4}$/.test(s) ? Number.parseInt(s.replace('~', ''), 8) : undefined);
const named = (s: string | undefined) => (s && s !== '-' ? s : undefined);

/** The directories the base's tmpfiles.d entries create at boot, with their mode and owner. */
export function tmpfilesDirs(root: Root): ServiceDir[] {
  const out: ServiceDir[] = [];
  for (const [name, file] of confFiles(root, TMPFILES_DIRS, '.conf')) {
    for (const line of (root.readText(file, MAX_BYTES) ?? '').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 2 || !CREATES_DIR.test(f[0]) || !f[1].startsWith('/') || f[1].includes('%')) continue;
      out.push({ path: f[1], mode: mode(f[2]), user: named(f[3]), group: named(f[4]), reason: `tmpfiles.d/${name} creates it at boot` });
    }
  }
  return out;
}

/** systemd's directory settings, and where each puts its names. */
const UNIT_SETTINGS: Record<string, { under: string; modeKey: string }> = {
  RuntimeDirectory: { under: '/run', modeKey: 'RuntimeDirectoryMode' },
  StateDirectory: { under: '/var/lib', modeKey: 'StateDirectoryMode' },
  CacheDirectory: { under: '/var/cache', modeKey: 'CacheDirectoryMode' },
  LogsDirectory: { under: '/var/log', modeKey: 'LogsDirectoryMode' },
};

/**
 * The directories systemd creates for the units that start `program` (its ExecStart= names it, by path as given or
 * as resolved in the base), owned by the unit's User= and Group=: Debian's redis has RuntimeDirectory=redis.
 */
export function unitDirs(root: Root, program: string, real: string): ServiceDir[] {
  const out: ServiceDir[] = [];
  for (const [name, file] of confFiles(root, UNIT_DIRS, '.service')) {
    const keys = new Map<string, string[]>();
    for (const line of (root.readText(file, MAX_BYTES) ?? '').split('\n')) {
      const m = /^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (m) keys.set(m[1], [...(keys.get(m[1]) ?? []), m[2]]);
    }
    const starts = (keys.get('ExecStart') ?? []).some((cmd) => {
      const first = cmd.replace(/^[-@:+!]+/, '').split(/\s+/)[0];
      return first === program || (first.startsWith('/') && root.lookup(first)?.path === real);
    });
    if (!starts) continue;
    const last = (k: string) => keys.get(k)?.at(-1);
    for (const [key, { under, modeKey }] of Object.entries(UNIT_SETTINGS)) {
      for (const dir of (keys.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((d) => /^[\w.-][\w./-]*$/.test(d))) {
        const unitMode = mode(last(modeKey));
        out.push({
          path: `${under}/${dir}`,
          mode: unitMode ?? 0o755,
          user: named(last('User')),
          group: named(last('Group')) ?? named(last('User')),
          reason: `${key}=${dir} in ${name}, which starts it`,
        });
      }
    }
  }
  return out;
}
