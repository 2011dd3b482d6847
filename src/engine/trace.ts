import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import type { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import { canRun } from './emulation.js';
import { parseQemuStrace } from './qemu-strace.js';
import { attribute, TRACED_CALLS, type TracedPath } from './strace-log.js';
import { mountArgs } from './bring-in.js';
import { prepareTracer, type TracerBundle } from './tracer.js';
import { splitWords } from './words.js';

export interface TraceResult {
  command: string;
  /** How the run was watched: strace (every path used) or the loader's own LD_DEBUG (objects loaded). */
  method: 'strace' | 'qemu' | 'ld_debug';
  /** Each path the run used successfully, with how; /proc, /sys, /dev and the tracer's own files left out. */
  paths: TracedPath[];
  /** What only processes that never ran the program used (a shell, env or timeout around it), left out. */
  leftOut: TracedPath[];
  /** The run's exit status (undefined when it was stopped at the time limit). */
  exitCode?: number;
  stdout: string;
  /** The run's own standard error (with strace, the trace goes to a file, not here). */
  stderr: string;
  timedOut: boolean;
  warnings: string[];
}

const SKIP = /^\/(proc|sys|dev|\.scratchify-[a-z]+)(\/|$)/;

/** Paths a trace reports that no image holds: the kernel's, the devices', the tracer's and prober's own. */
export function fromTheImage(p: TracedPath): boolean {
  return !SKIP.test(p.path);
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

/** What the engine is asked to run, and how long a run may take before it is stopped. */
export interface TraceOptions {
  /** Seconds; the run is stopped after this and what it did so far is kept. */
  timeout?: number;
  /** Run as this user (NAME, UID or UID:GID), as verify does; default the image's own. */
  user?: string;
  /** The image's architecture, so a tracer built for another machine is not brought in. */
  architecture?: string;
  /** The command as argv (verify's smoke commands); default: `command` split into words. */
  argv?: string[];
  /** Run it through this entrypoint (the program), with `argv` as its arguments. */
  entrypoint?: string[];
  /** The image as the user named it, for messages. */
  label?: string;
  /** A tracer already prepared (verify traces several runs with one). */
  tracer?: TracerBundle | null;
  /** Whether a path is the program the image is for: what only other processes used is left out. */
  isProgram?: (path: string) => boolean;
  /** What the command removes on Ctrl-C: the run's container and its log directory are held there while it runs. */
  leftovers?: Leftovers;
}

const SHELLS = new Set(['/bin/sh', '/usr/bin/sh', '/bin/dash', '/usr/bin/dash']);

const LD_DEBUG_BLIND =
  'LD_DEBUG sees only the shared objects the loader maps, not the config files, data, scripts or helpers the run opens';

/** The engine's `run` arguments: strace brought in and writing its log to `out`, or the loader's LD_DEBUG. */
function runArgs(
  name: string,
  image: string,
  program: string[],
  rest: string[],
  user: string | undefined,
  tracer: TracerBundle | undefined,
  out: string,
  qemu = false,
): string[] {
  const common = ['run', '--rm', '--name', name, '--network', 'none', ...(user ? ['--user', user] : [])];
  const log = qemu ? 'QEMU_STRACE=1' : 'LD_DEBUG=libs,files';
  if (!tracer) return [...common, '-e', log, '--entrypoint', program[0], image, ...program.slice(1), ...rest];
  return [...common, ...straceArgs(tracer, out), image, ...tracer.command.slice(1), ...STRACE_OPTIONS, ...program, ...rest];
}

/**
 * strace's options: every process, paths decoded with the directory each relative one is resolved in, the log in
 * the second mount (the program's own stderr stays its own).
 */
export const STRACE_OPTIONS = [
  '-f',
  '-qq',
  '-y',
  '-s',
  '4096',
  // Process creation too: what a run used is attributed to the processes that ran the program.
  '-e',
  TRACED_CALLS,
  '-o',
  '/.scratchify-out/trace.log',
  '--',
];

/**
 * The run's flags for tracing: the tracer and the log directory mounted, strace as the entrypoint, and
 * CAP_SYS_PTRACE: a process that switched users (nginx's workers, a database's backends) is not dumpable, and
 * without it strace cannot read the paths that process opens.
 */
export function straceArgs(tracer: TracerBundle, out: string): string[] {
  return [...mountArgs(tracer), '-v', `${out}:/.scratchify-out`, '--cap-add', 'SYS_PTRACE', '--entrypoint', tracer.command[0]];
}

/** The engine's own failures to start the run (exit 125 to 127), as the user's error. */
function checkStarted(r: { exitCode: number; stderr: string }, command: string, label: string): void {
  if (r.exitCode < 125 || r.exitCode > 127) return;
  const why = r.stderr.trim().split('\n').pop() ?? '';
  throw new ScratchifyError(
    r.exitCode === 125 ? 'ENGINE_UNAVAILABLE' : 'INPUT_NOT_FOUND',
    `--trace '${command}': could not run it in ${label} (${why})`,
    {
      hint:
        r.exitCode === 125
          ? 'check that the engine can run containers of this image'
          : 'give a program that exists in the image, with its path',
    },
  );
}

/** strace's log, or the error that says why there is none. */
function straceLog(out: string, stderr: string, command: string, program: string, label: string, timedOut: boolean): string {
  let log = '';
  try {
    log = readFileSync(join(out, 'trace.log'), 'utf8');
    // SCRATCHIFY_KEEP_TRACE=DIR keeps each raw log there, to see for oneself what a run did.
    const keep = process.env.SCRATCHIFY_KEEP_TRACE;
    if (keep) copyFileSync(join(out, 'trace.log'), join(keep, `trace-${Date.now()}-${process.pid}.log`));
  } catch {
    // No log: strace could not start (it says why on stderr, below).
  }
  // strace says so itself when the program is not there (it looks it up before it starts it).
  if (/strace: (?:exec: .*No such file|Can't stat '[^']*': No such file)/.test(stderr)) {
    throw new ScratchifyError('INPUT_NOT_FOUND', `--trace '${command}': ${program} is not in ${label}`, {
      hint: 'give a program that exists in the image, with its path',
    });
  }
  if (log === '' && !timedOut) {
    throw new ScratchifyError(
      'ENGINE_UNAVAILABLE',
      `--trace '${command}': the tracer did not start in ${label} (${stderr.trim().split('\n').pop() ?? ''})`,
      {
        hint: 'the engine must allow ptrace in containers (Docker and Podman do by default)',
      },
    );
  }
  return log;
}

/**
 * Runs `command` in a throw-away container of the image (never on the host), with no network, and lists what
 * it used. The tracer is this machine's strace, brought in read-only (see tracer.ts), so tracing needs nothing
 * from the image. Without one (no strace here, another architecture) the loader's LD_DEBUG is the fallback,
 * with a warning that says what it cannot see. A run that outlasts `timeout` is stopped; what it did is kept.
 */
export async function traceRun(engine: Engine, image: string, command: string, options: TraceOptions = {}): Promise<TraceResult> {
  // Shell syntax needs the image's shell; the shell itself is then left out of what the run used.
  const shell = options.argv === undefined && /[|&;<>()$`*?~]/.test(command.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, ''));
  const argv = options.argv ?? (shell ? ['/bin/sh', '-c', command] : splitWords(command));
  if (argv.length === 0 && !options.entrypoint) {
    throw new ScratchifyError('USAGE', `--trace '${command}': no command`, {
      hint: "give the program and its arguments, e.g. --trace '/usr/sbin/nginx -t'",
    });
  }
  const label = options.label ?? image;
  const owned = options.tracer === undefined ? prepareTracer(options.architecture) : undefined;
  const tracer = options.tracer ?? owned;
  const out = mkdtempSync(join(tmpdir(), 'scratchify-trace-'));
  options.leftovers?.dir(out);
  // The traced program may run as any user; it must be able to write the log.
  chmodSync(out, 0o1777);
  const name = `scratchify-trace-${randomBytes(6).toString('hex')}`;
  options.leftovers?.container(name);
  const program = options.entrypoint ?? [argv[0]];
  // A program of another architecture that runs here under qemu-user: its own syscall log, since ptrace cannot
  // follow a program qemu emulates.
  const qemu = !tracer && canRun(options.architecture) === 'emulated';
  const args = runArgs(name, image, program, options.entrypoint ? argv : argv.slice(1), options.user, tracer, out, qemu);
  const timeout = (options.timeout ?? 60) * 1000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void engine.exec(['kill', name], { timeout: 30_000 });
  }, timeout);
  try {
    const r = await engine.exec(args, { timeout: timeout + 60_000 });
    const warnings: string[] = [];
    if (timedOut)
      warnings.push(
        `--trace '${command}' ran past ${timeout / 1000} s and was stopped; what it used until then is kept (--trace-timeout gives it longer)`,
      );
    else checkStarted(r, command, label);
    let paths: TracedPath[];
    let leftOut: TracedPath[] = [];
    let stderr = r.stderr;
    if (tracer) ({ paths, leftOut } = attribute(straceLog(out, r.stderr, command, program[0], label, timedOut), options.isProgram));
    else if (qemu) ({ paths, leftOut, stderr } = parseQemuStrace(r.stderr, options.isProgram));
    else {
      const why = options.architecture ? `no strace on this machine for ${options.architecture}` : 'no strace on this machine';
      warnings.push(
        `--trace '${command}' ran under LD_DEBUG (${why}): ${LD_DEBUG_BLIND}; install strace here (apt-get install strace) for a complete trace`,
      );
      paths = parseLdDebug(r.stderr).map((p) => ({ path: p, use: 'read' as const }));
      stderr = r.stderr
        .split('\n')
        .filter((l) => !/^\s*\d+:\s/.test(l))
        .join('\n');
    }
    return {
      command,
      method: tracer ? 'strace' : qemu ? 'qemu' : 'ld_debug',
      // Our own `sh -c` around shell syntax is a harness too; attribution sees that when it knows the program.
      paths: paths.filter((p) => fromTheImage(p) && !(shell && !options.isProgram && SHELLS.has(p.path))),
      leftOut: leftOut.filter(fromTheImage),
      exitCode: timedOut ? undefined : r.exitCode,
      stdout: r.stdout,
      stderr,
      timedOut,
      warnings,
    };
  } finally {
    clearTimeout(timer);
    rmSync(out, { recursive: true, force: true });
    owned?.remove();
    options.leftovers?.forget(name);
    options.leftovers?.forget(out);
  }
}
