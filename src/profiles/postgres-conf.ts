import { ScratchifyError } from '../errors.js';
import type { Root } from '../rootfs/root.js';

/** PostgreSQL's own limit on nested includes (guc-file.l), and a bound on how many files one configuration reads. */
const MAX_DEPTH = 10;
const MAX_FILES = 500;

export interface PgSetting {
  name: string;
  value: string;
  /** The file that set it, or `the command line`. */
  from: string;
}

/**
 * One postgresql.conf's lines as PostgreSQL reads them: `name = value` or `name value`, `#` comments, values
 * either a single-quoted string ('' or \' for a quote) or one bare word. Names are case-insensitive.
 */
export function parsePgConf(text: string, file: string): PgSetting[] {
  const out: PgSetting[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][\w.]*)\s*=?\s*('(?:[^'\\]|''|\\.)*'|[^\s#']+)?/.exec(line);
    if (!m || m[2] === undefined) continue;
    const raw = m[2];
    const value = raw.startsWith("'") ? raw.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1') : raw;
    out.push({ name: m[1].toLowerCase(), value, from: file });
  }
  return out;
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
const against = (dir: string, p: string) => (p.startsWith('/') ? p : `${dir}/${p}`);

/**
 * Every setting of `file` and of what it includes (include, include_if_exists, include_dir with its *.conf files in
 * name order), in the order PostgreSQL applies them: a later setting wins. Relative includes are against the
 * including file's directory. Bounded; an include of a file already being read is refused, as PostgreSQL refuses it.
 */
export function readPgConf(root: Root, file: string): { settings: PgSetting[]; files: string[]; dirs: string[] } {
  const settings: PgSetting[] = [];
  const files: string[] = [];
  const dirs: string[] = [];
  const open = new Set<string>();
  const read = (path: string, depth: number, optional: boolean) => {
    if (depth > MAX_DEPTH)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: PostgreSQL's configuration includes nest deeper than ${MAX_DEPTH}`, {
        hint: 'an include loops back on itself; fix the include lines',
      });
    const real = root.lookup(path)?.path;
    if (real === undefined || root.lookup(path)?.entry.type !== 'file') {
      if (optional) return;
      throw new ScratchifyError('CONFIG_INVALID', `${path}: PostgreSQL's configuration file is not in ${root.description}`, {
        hint: 'name a configuration file the image has (-c config_file=PATH), or add it to the base',
      });
    }
    if (open.has(real))
      throw new ScratchifyError('CONFIG_INVALID', `${path}: PostgreSQL's configuration includes itself`, {
        hint: 'remove the include that leads back to it',
      });
    if (files.length >= MAX_FILES)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: more than ${MAX_FILES} configuration files`, {
        hint: 'narrow the include_dir directories',
      });
    open.add(real);
    files.push(path);
    for (const s of parsePgConf(root.readText(path) ?? '', path)) {
      if (s.name === 'include' || s.name === 'include_if_exists') read(against(dirOf(path), s.value), depth + 1, s.name !== 'include');
      else if (s.name === 'include_dir') {
        const dir = against(dirOf(path), s.value);
        dirs.push(dir);
        for (const name of root
          .readdir(dir)
          .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
          .sort())
          read(`${dir}/${name}`, depth + 1, false);
      } else settings.push(s);
    }
    open.delete(real);
  };
  read(file, 0, false);
  return { settings, files, dirs };
}

/**
 * The server's own arguments: `-D DIR`, `-c name=value` (also glued, `-cname=value`), `--name=value`, `-k DIR`
 * (unix_socket_directories), `-p PORT`. What PostgreSQL reads from its command line beats its files.
 */
export function pgArgs(args: readonly string[]): { dataDir?: string; settings: PgSetting[] } {
  const settings: PgSetting[] = [];
  let dataDir: string | undefined;
  const set = (kv: string) => {
    const eq = kv.indexOf('=');
    if (eq > 0)
      settings.push({ name: kv.slice(0, eq).toLowerCase().replace(/-/g, '_'), value: kv.slice(eq + 1), from: 'the command line' });
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const glued = (flag: string) => (a === flag ? args[++i] : a.startsWith(flag) ? a.slice(flag.length) : undefined);
    if (a.startsWith('--') && a.includes('=')) set(a.slice(2));
    else if (a.startsWith('-D')) dataDir = glued('-D');
    else if (a.startsWith('-c')) set(glued('-c') ?? '');
    else if (a.startsWith('-k')) {
      const v = glued('-k');
      if (v !== undefined) settings.push({ name: 'unix_socket_directories', value: v, from: 'the command line' });
    }
  }
  return { dataDir, settings };
}
