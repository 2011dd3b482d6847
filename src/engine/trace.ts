import { ScratchifyError } from '../errors.js';
import type { Engine } from './engine.js';

export interface TraceResult {
  command: string;
  /** How the run was watched: strace (every file opened) or the loader's own LD_DEBUG (objects loaded). */
  method: 'strace' | 'ld_debug';
  /** Absolute paths the run opened successfully, in first-seen order. */
  opened: string[];
}

const SKIP = /^\/(proc|sys|dev)(\/|$)/;

/** Paths strace saw opened or executed with success (`= N`, N >= 0). */
export function parseStrace(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    const m = /(?:^|\s)(open|openat|openat2|execve|execveat)\((?:AT_FDCWD, |\d+, )?"((?:[^"\\]|\\.)*)".*\)\s+=\s+(\d+)/.exec(line);
    if (m?.[2].startsWith('/')) out.push(m[2].replace(/\\(.)/g, '$1'));
  }
  return out;
}

/** Objects the loader mapped, from LD_DEBUG=libs,files: the last path tried before each "generating link map". */
export function parseLdDebug(log: string): string[] {
  const out: string[] = [];
  let lastTried: string | undefined;
  let current: string | undefined;
  for (const line of log.split('\n')) {
    const body = line.replace(/^\s*\d+:\s?/, '');
    let m = /^\s*trying file=(\S+)/.exec(body);
    if (m) {
      lastTried = m[1];
      continue;
    }
    m = /^file=(\S+) \[\d+\];\s+(needed by|dynamically loaded by|generating link map)/.exec(body);
    if (!m) continue;
    if (m[2] !== 'generating link map') {
      current = m[1];
      lastTried = undefined;
      continue;
    }
    const path = lastTried ?? (current?.startsWith('/') ? current : undefined) ?? (m[1].startsWith('/') ? m[1] : undefined);
    if (path) out.push(path);
    lastTried = undefined;
  }
  return out;
}

/**
 * Runs `command` in a throw-away container of the image (never on the host), with no network, and lists the
 * files it opened: through strace when the image has it, else through the loader's LD_DEBUG, which works in
 * any glibc image but sees only the shared objects loaded. /proc, /sys and /dev are left out.
 */
export async function traceRun(engine: Engine, image: string, command: string): Promise<TraceResult> {
  const probe = await engine.exec([
    'run',
    '--rm',
    '--network',
    'none',
    '--entrypoint',
    '/bin/sh',
    image,
    '-c',
    'command -v strace || true',
  ]);
  const sh = probe.exitCode === 0;
  const strace = sh && probe.stdout.trim() !== '';
  const method: TraceResult['method'] = strace ? 'strace' : 'ld_debug';
  const words = command.split(/\s+/).filter(Boolean);
  // A plain command runs as it is; only shell syntax brings in /bin/sh, whose own executable is then dropped.
  const needsShell = /[|&;<>()$`*?[\]{}'"\\~]/.test(command);
  if (needsShell && !sh) {
    throw new ScratchifyError('USAGE', `--trace '${command}': shell syntax, but ${image} has no /bin/sh`, {
      hint: 'give a plain command: the program and its arguments',
    });
  }
  const target = needsShell ? ['/bin/sh', '-c', command] : words;
  const args = strace
    ? ['run', '--rm', '--network', 'none', '--entrypoint', 'strace', image, '-f', '-qq', '-e', 'trace=open,openat,execve', ...target]
    : ['run', '--rm', '--network', 'none', '-e', 'LD_DEBUG=libs,files', '--entrypoint', target[0], image, ...target.slice(1)];
  // The program's own exit status does not matter to a trace; the engine failing to start it does.
  const r = await engine.exec(args);
  if (r.exitCode >= 125) {
    throw new ScratchifyError(
      'ENGINE_UNAVAILABLE',
      `--trace '${command}': could not run it in ${image} (${r.stderr.trim().split('\n').pop()})`,
      { hint: 'check that the command exists in the image' },
    );
  }
  const log = r.stderr;
  const paths = method === 'strace' ? parseStrace(log) : parseLdDebug(log);
  const opened = [...new Set(paths.filter((p) => !SKIP.test(p) && !(needsShell && p === '/bin/sh')))];
  return { command, method, opened };
}
