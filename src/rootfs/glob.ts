import fg from 'fast-glob';
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
    lstat: (p: string, cb: (e: Error | null, s?: unknown) => void) => { try { cb(null, lstat(p)); } catch (e) { cb(e as Error); } },
    stat: (p: string, cb: (e: Error | null, s?: unknown) => void) => { try { cb(null, lstat(p)); } catch (e) { cb(e as Error); } },
    readdirSync: (dir: string, opts?: { withFileTypes?: boolean }) => {
      const names = root.backend.readdir(dir);
      if (!opts?.withFileTypes) return names;
      return names.map((n) => statLike(root.lstat(dir === '/' ? `/${n}` : `${dir}/${n}`) ?? { type: 'other', size: 0, mode: 0, uid: 0, gid: 0 }, n));
    },
    readdir: () => { throw new Error('scratchify globs synchronously'); },
  };
}

/**
 * Expands an absolute pattern inside the root. The literal leading directories are resolved through the
 * root's symlinks first (nginx's /usr/share/nginx/modules is a link); matches keep the spelling the user
 * gave, since that is the path the program opens. Files and symlinks to files match; directories do not.
 */
export function globInRoot(root: Root, pattern: string, options: { onlyFiles?: boolean } = {}): string[] {
  const abs = pattern.startsWith('/') ? pattern : `/${pattern}`;
  if (!fg.isDynamicPattern(abs)) return root.exists(abs) ? [abs] : [];
  const [task] = fg.generateTasks([abs.slice(1)]);
  const base = task.base === '.' ? '' : task.base;
  let realBase: string;
  try {
    realBase = root.resolve(`/${base}`).path;
  } catch (e) {
    if (e instanceof LookupError) return [];
    throw e;
  }
  const rest = abs.slice(1 + base.length).replace(/^\//, '');
  const out: string[] = [];
  const stream = fg.sync(rest, {
    cwd: realBase,
    fs: rootAdapter(root) as never,
    followSymbolicLinks: false,
    onlyFiles: false,
    dot: true,
    unique: true,
  });
  const odd = [...(root.backend.undecodable ?? [])].filter(([d]) => d === realBase || d.startsWith(`${realBase}/`));
  if (odd.length > 0) {
    const [d, names] = odd[0];
    throw new ScratchifyError('USAGE', `--include ${pattern}: ${d} holds a file name that is not valid UTF-8 (${names[0]})`, {
      hint: 'Dockerfile paths are UTF-8: rename the file in the image, or include files by other patterns',
    });
  }
  for (const m of stream) {
    const p = `/${base ? `${base}/` : ''}${m}`;
    const r = root.lookup(p);
    if (!r) continue;
    if ((options.onlyFiles ?? true) && r.entry.type !== 'file') continue;
    out.push(p);
    if (out.length > MAX_GLOB_MATCHES) {
      throw new ScratchifyError('USAGE', `--include ${pattern}: matches more than ${MAX_GLOB_MATCHES} files`, { hint: 'narrow the pattern' });
    }
  }
  return out.sort();
}
