import { posix } from 'node:path';
import type { Use } from '../additions.js';
import { attributeEvents, DIRFD_FIRST, type PathEvent, type ProcessFacts, type TracedPath, unescapeC } from './strace-log.js';

/**
 * qemu-user's own syscall log (QEMU_STRACE=1), for programs of another architecture, which ptrace cannot follow
 * under emulation. It is written to the program's standard error, one `PID call(args) = result` per call, without
 * strace's decoding of descriptors: relative paths are resolved here from each process's working directory and
 * its table of open descriptors (inherited across clone, copied by dup). A call that succeeds prints no result
 * when it replaces the process (execve), and output from processes running at once can share a line.
 */

/** Where a call's record starts: a pid, a space and a call name with its parenthesis. */
const START = /(\d+) ([a-z_0-9]+)\(/g;
const STRING = /^"((?:[^"\\]|\\.)*)"/;
const RESULT = /\) = (0x[0-9a-f]+|-?\d+)(?: errno=\d+)?/;

/** Calls whose path is their first argument. */
const PLAIN = new Set(['open', 'stat', 'lstat', 'stat64', 'lstat64', 'access', 'readlink', 'execve', 'chdir', 'mkdir']);

interface Process {
  cwd: string;
  fds: Map<string, string>;
}

/** The records of the log, each as pid, call, argument text and result (undefined when none was printed). */
export function qemuRecords(log: string): { pid: string; call: string; args: string; result?: string }[] {
  const out: { pid: string; call: string; args: string; result?: string }[] = [];
  for (const line of log.split('\n')) {
    const starts = [...line.matchAll(START)];
    starts.forEach((m, i) => {
      const text = line.slice(m.index! + m[0].length, i + 1 < starts.length ? starts[i + 1].index : line.length);
      const r = RESULT.exec(text);
      out.push({ pid: m[1], call: m[2], args: r ? text.slice(0, r.index) : text, result: r?.[1] });
    });
  }
  return out;
}

/**
 * What a run under qemu-user used, as `TracedPath`s like strace's, attributed to processes the same way when
 * `isProgram` is given. Also the run's own standard error, the log's lines taken out.
 */
export function parseQemuStrace(
  stderr: string,
  isProgram?: (path: string) => boolean,
): { paths: TracedPath[]; leftOut: TracedPath[]; stderr: string } {
  const own = stderr
    .split('\n')
    .filter((l) => !/^\s*(\d+ [a-z_0-9]+\(|= |--- |\+\+\+ )/.test(l))
    .join('\n');
  const procs = new Map<string, Process>();
  const proc = (pid: string) => {
    let p = procs.get(pid);
    if (!p) procs.set(pid, (p = { cwd: '/', fds: new Map() }));
    return p;
  };
  const events: PathEvent[] = [];
  const facts: ProcessFacts = { parent: new Map(), execs: [] };
  for (const [line, r] of qemuRecords(stderr).entries()) {
    const p = proc(r.pid);
    const ok = r.result === undefined ? r.call.startsWith('execve') : !r.result.startsWith('-');
    if (!ok) continue;
    const use = (path: string, u: Use) => events.push({ pid: r.pid, line, path: posix.normalize(path), use: u });
    if (r.call === 'clone' || r.call === 'clone3' || r.call === 'fork' || r.call === 'vfork') {
      if (!r.result || r.result === '0') continue;
      facts.parent.set(r.result, { pid: r.pid, line });
      procs.set(r.result, { cwd: p.cwd, fds: new Map(p.fds) });
      continue;
    }
    if (r.call === 'close') {
      p.fds.delete(r.args.split(',')[0]);
      continue;
    }
    if (r.call === 'dup' || r.call === 'dup2' || r.call === 'dup3' || (r.call === 'fcntl' && /F_DUPFD/.test(r.args))) {
      const from = p.fds.get(r.args.split(',')[0]);
      if (from && r.result) p.fds.set(r.result, from);
      continue;
    }
    if (r.call === 'fchdir') {
      const dir = p.fds.get(r.args.split(',')[0]);
      if (dir) {
        p.cwd = dir;
        use(dir, 'dir');
      }
      continue;
    }
    if (r.call === 'getdents64' || r.call === 'getdents') {
      const dir = p.fds.get(r.args.split(',')[0]);
      if (dir) use(dir, 'dir');
      continue;
    }
    let rest = r.args;
    let base = p.cwd;
    if (DIRFD_FIRST.has(r.call)) {
      const comma = rest.indexOf(',');
      const dirfd = rest.slice(0, comma);
      if (dirfd !== 'AT_FDCWD') base = p.fds.get(dirfd) ?? '';
      rest = rest.slice(comma + 1);
    } else if (!PLAIN.has(r.call)) continue;
    const s = STRING.exec(rest);
    if (!s) continue;
    const named = unescapeC(s[1]);
    if (named === '' || (!named.startsWith('/') && !base)) continue;
    const path = named.startsWith('/') ? named : posix.join(base, named);
    const flags = rest.slice(s[0].length);
    if (r.call === 'chdir') {
      p.cwd = posix.normalize(path);
      use(path, 'dir');
    } else if (r.call === 'mkdir' || r.call === 'mkdirat') use(path, 'written');
    else if (r.call.startsWith('open')) {
      if (r.result) p.fds.set(r.result, posix.normalize(path));
      if (/O_DIRECTORY/.test(flags)) use(path, 'dir');
      // Opened to write: the service's state, as strace-log.ts reads it.
      else if (/O_WRONLY|O_RDWR/.test(flags)) use(path, 'written');
      else use(path, 'read');
    } else {
      if (r.call.startsWith('execve')) facts.execs.push({ pid: r.pid, line, path: posix.normalize(path) });
      use(path, 'read');
    }
  }
  return { ...attributeEvents(events, facts, isProgram), stderr: own };
}
