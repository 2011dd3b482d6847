import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { type BroughtIn, mountArgs } from './bring-in.js';
import type { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import { proberCommand } from './prober.js';
import { parseStraceLog, type TracedPath } from './strace-log.js';
import { parseQemuStrace } from './qemu-strace.js';
import { fromTheImage, STRACE_OPTIONS, straceArgs } from './trace.js';
import type { TracerBundle } from './tracer.js';

/** How a service is started: an image, and the command, user and volumes to start it with. */
export interface ServiceLaunch {
  image: string;
  /** Entrypoint and arguments; undefined: the image's own ENTRYPOINT, CMD and USER, untouched. */
  command?: string[];
  user?: string;
  /** `VOLUME:/path[:ro]`, as the engine's -v takes them. */
  volumes: string[];
  /** Trace every process of the service with this tracer. */
  tracer?: TracerBundle | null;
  /** Trace it with qemu-user's own syscall log instead (a service of another architecture, emulated here). */
  qemu?: boolean;
  /** More of the engine's run flags (a hardened run's). */
  extraArgs?: string[];
}

export interface Service {
  name: string;
  /** Where a traced service writes its log. */
  traceDir?: string;
  /** Traced by qemu-user: the log is the container's standard error. */
  qemu?: boolean;
}

/**
 * Starts the service in a network namespace of its own (`--network none`: its loopback only, nothing published,
 * nothing needed from this machine's network), detached. The container is kept after it exits, so its status
 * and log can be read; `leftovers` removes it.
 */
export async function startService(engine: Engine, launch: ServiceLaunch, leftovers: Leftovers): Promise<Service> {
  const name = leftovers.container(`scratchify-service-${randomBytes(6).toString('hex')}`);
  const vols = launch.volumes.flatMap((v) => ['-v', v]);
  const user = launch.user ? ['--user', launch.user] : [];
  const common = ['run', '-d', '--name', name, '--network', 'none', ...user, ...vols, ...(launch.extraArgs ?? [])];
  let args: string[];
  let traceDir: string | undefined;
  if (launch.tracer) {
    traceDir = leftovers.dir(mkdtempSync(join(tmpdir(), 'scratchify-trace-')));
    chmodSync(traceDir, 0o1777);
    const command = launch.command ?? [];
    args = [
      ...common,
      ...straceArgs(launch.tracer, traceDir),
      launch.image,
      ...launch.tracer.command.slice(1),
      ...STRACE_OPTIONS,
      ...command,
    ];
  } else if (launch.command) {
    const env = launch.qemu ? ['-e', 'QEMU_STRACE=1'] : [];
    args = [...common, ...env, '--entrypoint', launch.command[0], launch.image, ...launch.command.slice(1)];
  } else {
    args = [...common, launch.image];
  }
  const r = await engine.exec(args, { timeout: 120_000 });
  if (r.exitCode !== 0) {
    throw new ScratchifyError('ENGINE_UNAVAILABLE', `could not start the service in ${launch.image} (${lastLines(r.stderr, 1)})`, {
      hint: 'check that the engine can run containers of this image',
    });
  }
  return { name, traceDir, qemu: launch.qemu && !launch.tracer };
}

export interface ServiceState {
  running: boolean;
  exitCode: number;
}

export async function serviceState(engine: Engine, name: string): Promise<ServiceState> {
  const r = await engine.exec(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name], { timeout: 60_000 });
  const [running, code] = r.stdout.trim().split(' ');
  return { running: running === 'true', exitCode: Number(code) };
}

/** The service's last lines of output, standard output and error together, as `docker logs` shows them. */
export async function serviceLogs(engine: Engine, name: string, lines = 15): Promise<string> {
  const r = await engine.exec(['logs', '--tail', String(lines), name], { timeout: 60_000 });
  return `${r.stdout}\n${r.stderr}`.trim();
}

export function lastLines(text: string, n: number): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-n).join(' | ') || 'nothing';
}

/**
 * Runs the probe client once in the service's network namespace (a container that joins it, from `image`, with
 * the prober mounted) and returns its JSON answer; undefined when it could not run (the service is gone).
 */
export async function runProber<T>(
  engine: Engine,
  image: string,
  prober: BroughtIn,
  request: unknown,
  options: { network: string; mounts?: string[]; timeout?: number; leftovers: Leftovers; user?: string },
): Promise<T | undefined> {
  const name = options.leftovers.container(`scratchify-probe-${randomBytes(6).toString('hex')}`);
  const command = proberCommand(prober, request);
  const args = [
    'run',
    '--rm',
    '--name',
    name,
    '--network',
    options.network,
    '--user',
    options.user ?? '0:0',
    ...mountArgs(prober),
    ...(options.mounts ?? []),
    '--entrypoint',
    command[0],
    image,
    ...command.slice(1),
  ];
  const r = await engine.exec(args, { timeout: (options.timeout ?? 120) * 1000 });
  options.leftovers.forget(name);
  const line = r.stdout.trim().split('\n').pop();
  if (r.exitCode !== 0 || !line?.startsWith('{')) return undefined;
  return JSON.parse(line) as T;
}

/** How a service ended when it was stopped: the class is what verify compares between two runs. */
export interface StopResult {
  exitCode: number;
  seconds: number;
  /** stopped (exit 0), error (another exit status), signal (died of one), killed (still running at the limit). */
  status: 'stopped' | 'error' | 'signal' | 'killed' | 'gone';
}

/**
 * Stops the service as `docker stop` does (the image's STOPSIGNAL, then SIGKILL after `timeout` seconds) and
 * says how it ended. A service that had already exited is 'gone', with its status.
 */
export async function stopService(engine: Engine, name: string, timeout: number): Promise<StopResult> {
  const before = await serviceState(engine, name);
  if (!before.running) return { exitCode: before.exitCode, seconds: 0, status: 'gone' };
  const t0 = Date.now();
  await engine.exec(['stop', '-t', String(timeout), name], { timeout: (timeout + 60) * 1000 });
  const seconds = (Date.now() - t0) / 1000;
  const { exitCode } = await serviceState(engine, name);
  const killed = exitCode === 137 && seconds >= timeout - 0.5;
  const status = killed ? 'killed' : exitCode === 0 ? 'stopped' : exitCode > 128 ? 'signal' : 'error';
  return { exitCode, seconds, status };
}

/** What a traced service used, from its log (read after the service is gone). */
export async function tracedPaths(engine: Engine, service: Service): Promise<TracedPath[]> {
  if (service.qemu) {
    const r = await engine.exec(['logs', service.name], { timeout: 120_000 });
    return parseQemuStrace(r.stderr).paths.filter(fromTheImage);
  }
  if (!service.traceDir) return [];
  try {
    return parseStraceLog(readFileSync(join(service.traceDir, 'trace.log'), 'utf8')).filter(fromTheImage);
  } catch {
    return []; // the tracer never started: the service's own error says why
  }
}
