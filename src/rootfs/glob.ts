import fg from 'fast-glob';
import picomatch from 'picomatch';
import { ScratchifyError } from '../errors.js';
import type { Entry } from './backend.js';
import { LookupError, type Root } from './root.js';

/** Upper bound on what one pattern may match, so a stray `/**` cannot walk a whole image. */
export const MAX_GLOB_MATCHES = 100_000;

function statLike(e: Entry, name = '') {
  return {
    name,
    isFile: () => e.type === 'file',
    isDirectory: () => e.type === 'dir',
    isSymbolicLink: () => e.type === 'symlink',
    isBlockDevice: () => false,
    isCharacterDevice: () => false,
    isFIFO: () => false,
    isSocket: () => false,
    size: e.size,
    mode: e.mode,
  };
}

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
}

/**
 * fast-glob's filesystem adapter over a Root: the walk sees only the root's entries and never follows a
 * symlink (links are matched as entries, not descended), so no pattern can lead outside the root.
 */
function rootAdapter(root: Root) {
  const lstat = (p: string) => {
    const e = root.lstat(p);
    if (!e) throw enoent(p);
    return statLike(e);
  };
  return {
    lstatSync: lstat,
    statSync: lstat,
    lstat: (p: string, cb: (e: Error | null, s?: unknown) => void) => {
      try {
        cb(null, lstat(p));
      } catch (e) {
        cb(e as Error);
      }
    },
    stat: (p: string, cb: (e: Error | null, s?: unknown) => void) => {
      try {
        cb(null, lstat(p));
      } catch (e) {
        cb(e as Error);
      }
    },
    readdirSync: (dir: string, opts?: { withFileTypes?: boolean }) => {
      const names = root.backend.readdir(dir);
      if (!opts?.withFileTypes) return names;
      return names.map((n) =>
        statLike(root.lstat(dir === '/' ? `/${n}` : `${dir}/${n}`) ?? { type: 'other', size: 0, mode: 0, uid: 0, gid: 0 }, n),
      );
    },
    readdir: () => {
      throw new Error('scratchify globs synchronously');
    },
  };
}

const GLOB_OPTIONS = { dot: true } as const;
/** Characters fast-glob can read as glob syntax; a pattern with none of them is a plain path. */
const GLOB_SYNTAX = /[*?[\]{}()!+@\\]/;
/** A last component with only wildcards and bracket classes, which picomatch and fast-glob read alike. */
const SIMPLE_GLOB = /^[^/(){}!+@\\]+$/;

/** A pattern spanning directories: fast-glob's walk, over the root's entries. */
function walkMatches(root: Root, cwd: string, pattern: string): string[] {
  return fg.sync(pattern, {
    ...GLOB_OPTIONS,
    cwd,
    fs: rootAdapter(root) as never,
    followSymbolicLinks: false,
    onlyFiles: false,
    unique: true,
  });
}

/**
 * A pattern within one directory (`modules/*.so`, the usual case): its entries matched by picomatch, which
 * fast-glob itself matches with. Setting up fast-glob's walk cost more than the resolve it served.
 */
function listMatches(root: Root, dir: string, pattern: string): string[] {
  const isMatch = picomatch(pattern, GLOB_OPTIONS);
  return root.backend.readdir(dir).filter((name) => isMatch(name));
}

/**
 * Expands an absolute pattern inside the root. The literal leading directories are resolved through the
 * root's symlinks first (nginx's /usr/share/nginx/modules is a link); matches keep the spelling the user
 * gave, since that is the path the program opens. Files and symlinks to files match; directories do not.
 */
export function globInRoot(root: Root, pattern: string, options: { onlyFiles?: boolean } = {}): string[] {
  const abs = pattern.startsWith('/') ? pattern : `/${pattern}`;
  // Without any glob syntax a pattern is a path; fast-glob agrees, and is not even loaded.
  if (!GLOB_SYNTAX.test(abs)) return root.exists(abs) ? [abs] : [];
  const scan = picomatch.scan(abs);
  const oneLevel = scan.isGlob && !scan.negated && !scan.glob.includes('/') && SIMPLE_GLOB.test(scan.glob);
  if (!oneLevel && !fg.isDynamicPattern(abs)) return root.exists(abs) ? [abs] : [];
  // The static leading directories ('usr/lib/nginx/modules'): picomatch's, since fast-glob splits braces into
  // one task per branch (its first task's base cut '/d/{a,b}/*.so' wrongly); fast-glob's for what only it
  // reads as a glob (escapes).
  const fgBase = scan.isGlob ? undefined : fg.generateTasks([abs.slice(1)])[0].base;
  const base = fgBase === undefined ? scan.base.replace(/^\/+/, '') : fgBase === '.' ? '' : fgBase;
  const rest = fgBase === undefined ? scan.glob : abs.slice(1 + base.length).replace(/^\//, '');
  let realBase: string;
  try {
    realBase = root.resolve(`/${base}`).path;
  } catch (e) {
    if (e instanceof LookupError) return [];
    throw e;
  }
  const out: string[] = [];
  const names = oneLevel ? listMatches(root, realBase, rest) : walkMatches(root, realBase, rest);
  const odd = [...(root.backend.undecodable ?? [])].filter(([d]) => d === realBase || d.startsWith(`${realBase}/`));
  if (odd.length > 0) {
    const [d, names] = odd[0];
    throw new ScratchifyError('USAGE', `--include ${pattern}: ${d} holds a file name that is not valid UTF-8 (${names[0]})`, {
      hint: 'Dockerfile paths are UTF-8: rename the file in the image, or include files by other patterns',
    });
  }
  for (const m of names) {
    const p = `/${base ? `${base}/` : ''}${m}`;
    const r = root.lookup(p);
    if (!r) continue;
    if ((options.onlyFiles ?? true) && r.entry.type !== 'file') continue;
    out.push(p);
    if (out.length > MAX_GLOB_MATCHES) {
      throw new ScratchifyError('USAGE', `--include ${pattern}: matches more than ${MAX_GLOB_MATCHES} files`, {
        hint: 'narrow the pattern',
      });
    }
  }
  return out.sort();
}
