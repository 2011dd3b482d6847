import { posix } from 'node:path';
import type { Use } from '../additions.js';

export type { Use };

export interface TracedPath {
  path: string;
  use: Use;
}

/** Syscalls whose one path argument the run needs as the base has it (after a directory descriptor for the *at forms). */
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
/** Calls whose path comes after a directory descriptor. */
export const DIRFD_FIRST = new Set([
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
  'mknodat',
]);
/**
 * Calls that create a name, by where that name is among the arguments: [directory descriptor, path], or
 * [-1, path] for a path alone. What they create is the run's own; the directory it is created in must exist.
 */
const CREATES: Record<string, [number, number]> = {
  mkdir: [-1, 0],
  mkdirat: [0, 1],
  creat: [-1, 0],
  mknod: [-1, 0],
  mknodat: [0, 1],
  rename: [-1, 1],
  renameat: [2, 3],
  renameat2: [2, 3],
  link: [-1, 1],
  linkat: [2, 3],
  symlink: [-1, 1],
  symlinkat: [1, 2],
};
/** The calls the tracer is asked for: files, directory listings, where a process is, its children, and socket names. */
export const TRACED_CALLS = 'trace=%file,getdents64,chdir,clone,clone3,fork,vfork,bind';

/** strace's C-style string escapes (with -s large enough nothing is cut); qemu-user's log writes them alike. */
export function unescapeC(s: string): string {
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
const STRING = /^"((?:[^"\\]|\\.)*)"/;

/** A path one process used, at one line of the log. */
export interface PathEvent {
  pid: string;
  line: number;
  path: string;
  use: Use;
}

/** What a log says about processes: each one's parent and the line it forked at, and the line it exec'ed the program. */
export interface ProcessFacts {
  parent: Map<string, { pid: string; line: number }>;
  /** The first line each process exec'ed a path; the caller's test says whether that path is the program. */
  execs: { pid: string; line: number; path: string }[];
}

const PROCESS = /^(\d+)\s+(clone3?|v?fork)\(.*\)\s+=\s+(\d+)/;

/**
 * What a run did with each path, from `strace -f -y` output. Only calls that succeeded count: a path the run
 * probed and did not find is not something the image needs. Relative paths are resolved against the directory
 * strace names for the call's dirfd (with -y, `AT_FDCWD</cwd>`). Each path appears once, with its strongest use
 * (read beats dir beats written), or written when the run made it before anything else (see note).
 */
export function parseStraceLog(log: string): TracedPath[] {
  return attribute(log).paths;
}

/**
 * The same, attributed to processes: with `isProgram`, what only processes that never ran the program used (a
 * shell, env or timeout around it) is left out, and listed. A process runs the program from its execve of it on;
 * the processes it starts inherit that (a shell the program itself runs stays). A run that never exec'ed the
 * program keeps everything.
 */
export function attribute(log: string, isProgram?: (path: string) => boolean): { paths: TracedPath[]; leftOut: TracedPath[] } {
  const events: PathEvent[] = [];
  const facts: ProcessFacts = { parent: new Map(), execs: [] };
  const lines = joinResumed(log.split('\n'));
  lines.forEach((line, i) => {
    const fork = PROCESS.exec(line);
    if (fork) facts.parent.set(fork[3], { pid: fork[1], line: i });
    const pid = /^(\d+)\s/.exec(line)?.[1] ?? '';
    for (const e of pathsOf(line)) {
      events.push({ pid, line: i, ...e });
      if (/^\d+\s+execve(at)?\(/.test(line) && e.use === 'read') facts.execs.push({ pid, line: i, path: e.path });
    }
  });
  return attributeEvents(events, facts, isProgram);
}

/**
 * Events attributed to processes (see attribute): kept when their process runs the program by then, or was started
 * by one that did; left out otherwise. Everything is kept when no process exec'ed the program.
 */
export function attributeEvents(
  events: PathEvent[],
  facts: ProcessFacts,
  isProgram?: (path: string) => boolean,
): { paths: TracedPath[]; leftOut: TracedPath[] } {
  const { parent } = facts;
  const execs = new Map<string, number>();
  if (isProgram) for (const x of facts.execs) if (!execs.has(x.pid) && isProgram(x.path)) execs.set(x.pid, x.line);
  const keepAll = !isProgram || execs.size === 0;
  const from = new Map<string, number>();
  const scopeFrom = (pid: string, depth = 0): number => {
    const known = from.get(pid);
    if (known !== undefined) return known;
    let at = execs.get(pid) ?? Number.POSITIVE_INFINITY;
    const p = parent.get(pid);
    if (p && depth < 1000 && scopeFrom(p.pid, depth + 1) <= p.line) at = -1;
    from.set(pid, at);
    return at;
  };
  const kept = new Map<string, Use>();
  const harness = new Map<string, Use>();
  for (const e of events) {
    const into = keepAll || e.line >= scopeFrom(e.pid) ? kept : harness;
    note(into, e.path, e.use);
  }
  const leftOut = [...harness].filter(([path]) => !kept.has(path)).map(([path, use]) => ({ path, use }));
  return { paths: [...kept].map(([path, use]) => ({ path, use })), leftOut };
}

const RANK = { read: 3, dir: 2, written: 1 };

/**
 * A path's use so far, and this one: the stronger wins (read beats dir beats written), except that what the run
 * made or wrote before it read it stays written: nginx stats the temp directory it has just made, and PostgreSQL
 * reads back its own pid file; that is the run's state, which the base need not have.
 */
function note(uses: Map<string, Use>, path: string, use: Use): void {
  const before = uses.get(path);
  if (!before || (before !== 'written' && RANK[use] > RANK[before])) uses.set(path, use);
}

/**
 * A call's arguments as strace prints them, split at the commas between them: strings, `{...}`, `[...]` and
 * `-y`'s `<path>` annotations are kept whole.
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || (c === '<' && /[\dD_]$/.test(text.slice(start, i)))) {
      const close = c === '"' ? '"' : '>';
      for (i++; i < text.length && text[i] !== close; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (text.slice(start).trim() !== '') out.push(text.slice(start).trim());
  return out;
}

/** A path argument: absolute, or relative to its directory descriptor's `<path>` (-y names AT_FDCWD's too); else none. */
function pathArg(arg: string | undefined, dirfd: string | undefined): string | undefined {
  const s = arg === undefined ? undefined : STRING.exec(arg);
  if (!s) return undefined;
  const named = unescapeC(s[1]);
  // An empty path with AT_EMPTY_PATH is about the descriptor, which was recorded when it was opened.
  if (named === '') return undefined;
  if (named.startsWith('/')) return posix.normalize(named);
  const d = dirfd === undefined ? undefined : /^(?:AT_FDCWD|\d+)<((?:[^>\\]|\\.)*)>$/.exec(dirfd)?.[1];
  return d === undefined ? undefined : posix.normalize(posix.join(unescapeC(d), named));
}

/** The paths one line of the log used successfully, with how. */
function pathsOf(line: string): { path: string; use: Use }[] {
  const m = LINE.exec(line);
  if (!m || m[3].startsWith('-')) return [];
  const [, call, argsText, , fdPath] = m;
  if (call === 'getdents64' || call === 'getdents') {
    const dir = /^\d+<((?:[^>\\]|\\.)*)>/.exec(argsText)?.[1];
    return dir?.startsWith('/') ? [{ path: unescapeC(dir), use: 'dir' }] : [];
  }
  if (call === 'bind') {
    // A unix socket's name is a file the service creates; an abstract one (`@...`) or another family is none.
    const sun = /sa_family=AF_UNIX, sun_path="((?:[^"\\]|\\.)*)"/.exec(argsText)?.[1];
    return sun?.startsWith('/') ? [{ path: posix.normalize(unescapeC(sun)), use: 'written' }] : [];
  }
  const args = splitArgs(argsText);
  const creates = CREATES[call];
  if (creates) {
    const path = pathArg(args[creates[1]], creates[0] < 0 ? undefined : args[creates[0]]);
    return path ? [{ path, use: 'written' }] : [];
  }
  const dirfd = DIRFD_FIRST.has(call);
  const path = pathArg(args[dirfd ? 1 : 0], dirfd ? args[0] : undefined);
  if (!path) return [];
  if (call === 'chdir') return [{ path, use: 'dir' }];
  if (!READS.has(call)) return [];
  if (call.startsWith('open')) {
    const flags = args[dirfd ? 2 : 1] ?? '';
    if (/O_DIRECTORY/.test(flags) || fdPath?.endsWith('/')) return [{ path, use: 'dir' }];
    // Opened to write: the service's state (data, logs, pid and lock files), not the image's content.
    if (/O_WRONLY|O_RDWR/.test(flags)) return [{ path, use: 'written' }];
  }
  return [{ path, use: 'read' }];
}
