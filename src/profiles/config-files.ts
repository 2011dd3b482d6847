import { ScratchifyError } from '../errors.js';
import { globInRoot } from '../rootfs/glob.js';
import type { Root } from '../rootfs/root.js';
import type { Because } from '../additions.js';

/** Bounds on one configuration's include graph: files read, and how deep includes nest. */
const MAX_FILES = 300;
const MAX_DEPTH = 16;
/** A configuration file is text of at most this size; anything bigger or binary is not read as one. */
const MAX_CONF_BYTES = 256 << 10;
/** Files a directory include reads, at most (sorted by name, as the programs read them). */
const MAX_DIR_FILES = 200;

/**
 * The include forms of common configuration languages, one per line: `include PATH` and `include_dir` (Mosquitto,
 * PostgreSQL, lighttpd, Redis), `!include` and `!includedir` (MySQL and MariaDB), `Include`/`IncludeOptional` with
 * globs (Apache), `@includedir` (sudoers), `$IncludeConfig` (rsyslog), `conf-dir=`/`conf-file=` (dnsmasq).
 */
const INCLUDE =
  /^\s*[!@$]?(include|include_dir|includedir|include_if_exists|includeoptional|includeconfig|conf-dir|conf-file)\s*(?:=\s*|\s+)["']?([^"'\s;,]+)/i;
/** A value that is an absolute path, anywhere on a line that is not a comment. */
const PATH_VALUE = /(?:^|[\s="'(,])(\/[\w.@+-][\w./@+-]*)/g;
/** Where a value names data the image ships read-only, carried when the file exists there. */
const READ_ONLY_DATA = /^\/(etc|usr\/share|usr\/lib)\//;

export interface ConfigNeeds {
  /** Every configuration file read, and read-only files their values name. */
  files: Because[];
  /** Directories an include names whole. */
  trees: Because[];
  /** Directories that values name for writing (a pid file's, a log's, a persistence directory), owned by the user. */
  writable: Because[];
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';

/**
 * Configuration files followed without running anything: each one's includes (relative ones against its own
 * directory; a directory includes its files, a pattern its matches), and the paths its values name: a read-only
 * file of /etc, /usr/share or /usr/lib is carried; a directory, or the directory of a file that is not there
 * yet, which the base gives the service's user (`uid`) is where the service writes. Bounded; loops end where a
 * file is met again. A file that cannot be read as text is left alone.
 */
export function followConfig(root: Root, start: readonly string[], uid: number | undefined): ConfigNeeds {
  const out: ConfigNeeds = { files: [], trees: [], writable: [] };
  const seen = new Set<string>();
  const read = (path: string, depth: number, why: string) => {
    const r = root.lookup(path);
    if (r?.entry.type !== 'file' || r.entry.size > MAX_CONF_BYTES || seen.has(r.path)) return;
    if (depth > MAX_DEPTH)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: configuration includes nest deeper than ${MAX_DEPTH}`, {
        hint: 'an include leads back to itself; fix the include lines',
      });
    if (seen.size >= MAX_FILES)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: more than ${MAX_FILES} configuration files`, {
        hint: 'narrow the include patterns, or carry the directory with --include',
      });
    const text = root.readText(path, MAX_CONF_BYTES);
    if (text === undefined || text.includes('\0')) return;
    seen.add(r.path);
    if (depth > 0) out.files.push({ path, reason: why });
    for (const line of text.split('\n')) {
      if (/^\s*[#;]/.test(line)) continue;
      const inc = INCLUDE.exec(line);
      if (inc) {
        include(inc[2].startsWith('/') ? inc[2] : `${dirOf(path)}/${inc[2]}`, depth, `${inc[1]} in ${path}`);
        continue;
      }
      for (const m of line.matchAll(PATH_VALUE)) value(m[1].replace(/\/+$/, '') || '/', path);
    }
  };
  const include = (target: string, depth: number, why: string) => {
    if (/[*?[]/.test(target)) {
      for (const p of globInRoot(root, target, { onlyFiles: true }).sort().slice(0, MAX_DIR_FILES)) read(p, depth + 1, why);
      return;
    }
    if (root.isDir(target)) {
      out.trees.push({ path: target, reason: why });
      const names = root.readdir(target).sort().slice(0, MAX_DIR_FILES);
      for (const n of names) read(`${target}/${n}`, depth + 1, why);
    } else read(target, depth + 1, why);
  };
  const value = (p: string, file: string) => {
    const r = root.lookup(p);
    if (r?.entry.type === 'file') {
      if (READ_ONLY_DATA.test(r.path) && !seen.has(r.path)) out.files.push({ path: p, reason: `named in ${file}` });
      return;
    }
    const dir = r?.entry.type === 'dir' ? r : !r ? root.lookup(dirOf(p)) : undefined;
    if (uid !== undefined && uid !== 0 && dir?.entry.type === 'dir' && dir.entry.uid === uid && dir.path !== '/')
      out.writable.push({ path: dir.path, reason: `${p} in ${file}, a place its user owns` });
  };
  for (const f of start) read(f, 0, 'configuration');
  return out;
}
