import { posix } from 'node:path';
import type { Use } from '../profiles/types.js';

export type { Use };

export interface TracedPath {
  path: string;
  use: Use;
}

/** Syscalls whose first path argument the run needs, by the argument's position after an optional dirfd. */
const READS = new Set([
  'open',
  'openat',
  'openat2',
  'execve',
  'execveat',
  'stat',
  'lstat',
  'newfstatat',
  'fstatat64',
  'statx',
  'access',
  'faccessat',
  'faccessat2',
  'readlink',
  'readlinkat',
]);
const DIRFD_FIRST = new Set([
  'openat',
  'openat2',
  'execveat',
  'newfstatat',
  'fstatat64',
  'statx',
  'faccessat',
  'faccessat2',
  'readlinkat',
  'mkdirat',
]);
const CREATES = new Set(['mkdir', 'mkdirat', 'creat']);

/** strace's C-style string escapes (with -s large enough nothing is cut). */
function unescapeC(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' }[e] ?? e;
  });
}

/**
 * strace -f interrupts a syscall one process makes when another one's is printed ("<unfinished ...>"), then
 * prints the rest ("<... openat resumed>"). Joins the halves, so each syscall is one line again.
 */
function joinResumed(lines: string[]): string[] {
  const pending = new Map<string, string>();
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/^\[pid\s+(\d+)\]\s+/, '$1 ');
    const pid = /^(\d+)\s/.exec(line)?.[1] ?? '';
    const unfinished = /^(.*?)\s*<unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(pid, unfinished[1]);
      continue;
    }
    const resumed = /^\d+\s+<\.\.\. \w+ resumed>\s?(.*)$/.exec(line);
    if (resumed) {
      const head = pending.get(pid);
      pending.delete(pid);
      if (head !== undefined) out.push(`${head}${resumed[1]}`);
      continue;
    }
    out.push(line);
  }
  return out;
}

const LINE = /^(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+|0x[0-9a-f]+)(?:<([^>]*)>)?/;
const DIRFD = /^(?:AT_FDCWD|\d+)(?:<((?:[^>\\]|\\.)*)>)?, /;
const STRING = /^"((?:[^"\\]|\\.)*)"/;

/**
 * What a run did with each path, from `strace -f -y` output. Only calls that succeeded count: a path the run
 * probed and did not find is not something the image needs. Relative paths are resolved against the directory
 * strace names for the call's dirfd (with -y, `AT_FDCWD</cwd>`). Each path appears once, with its strongest use
 * (read beats dir beats written).
 */
export function parseStraceLog(log: string): TracedPath[] {
  const uses = new Map<string, Use>();
  const note = (path: string, use: Use) => {
    const before = uses.get(path);
    const rank = { read: 3, dir: 2, written: 1 };
    if (!before || rank[use] > rank[before]) uses.set(path, use);
  };
  for (const line of joinResumed(log.split('\n'))) {
    const m = LINE.exec(line);
    if (!m || m[3].startsWith('-')) continue;
    const [, call, argsText, , fdPath] = m;
    if (call === 'getdents64' || call === 'getdents') {
      const dir = /^\d+<((?:[^>\\]|\\.)*)>/.exec(argsText)?.[1];
      if (dir?.startsWith('/')) note(unescapeC(dir), 'dir');
      continue;
    }
    let rest = argsText;
    let base: string | undefined;
    if (DIRFD_FIRST.has(call)) {
      const d = DIRFD.exec(rest);
      if (!d) continue;
      base = d[1] === undefined ? undefined : unescapeC(d[1]);
      rest = rest.slice(d[0].length);
    }
    const s = STRING.exec(rest);
    if (!s) continue;
    const named = unescapeC(s[1]);
    // An empty path with AT_EMPTY_PATH is about the descriptor, which was recorded when it was opened.
    if (named === '') continue;
    if (!named.startsWith('/') && base === undefined) continue;
    const path = posix.normalize(named.startsWith('/') ? named : posix.join(base ?? '/', named));
    if (call === 'chdir') {
      note(path, 'dir');
      continue;
    }
    if (CREATES.has(call)) {
      note(path, 'written');
      continue;
    }
    if (!READS.has(call)) continue;
    if (call.startsWith('open')) {
      const flags = rest.slice(s[0].length);
      if (/O_DIRECTORY/.test(flags) || fdPath?.endsWith('/')) note(path, 'dir');
      else if (/O_WRONLY|O_RDWR/.test(flags) && /O_CREAT|O_TRUNC/.test(flags)) note(path, 'written');
      else note(path, 'read');
      continue;
    }
    note(path, 'read');
  }
  return [...uses].map(([path, use]) => ({ path, use }));
}
