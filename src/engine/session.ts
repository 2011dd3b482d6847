import { randomBytes } from 'node:crypto';
import { ScratchifyError } from '../errors.js';
import { adjusted, type Hardened, hardenedArgs } from '../generate/hardening.js';
import type { BroughtIn } from './bring-in.js';
import type { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import type { ProbeSpec } from './probe-spec.js';
import { type RunResult, runContainer } from './run.js';
import {
  runProber,
  type Service,
  type ServiceLaunch,
  type StopResult,
  serviceLogs,
  serviceState,
  startService,
  stopService,
  tracedPaths,
} from './service.js';
import type { TracedPath } from './strace-log.js';

/** One thing done to the running service, in the order given on the command line. */
export type ProbeStep = { kind: 'probe'; probe: ProbeSpec };
export type CmdStep = { kind: 'cmd'; text: string; argv: string[] };
export type Step = ProbeStep | CmdStep | { kind: 'restart' };

export interface HttpResult {
  error?: string;
  status?: number;
  location?: string | null;
  contentType?: string | null;
  bytes?: number;
  sha256?: string;
  head?: string;
}

export interface TcpResult {
  error: string | null;
  /** The reply, base64. */
  reply: string;
  expectFound: boolean | null;
}

/** Whether the service came up: running, and every probed port accepting (or the first client command passing). */
export interface Start {
  ok: boolean;
  why?: string;
  logs?: string;
  /** With no port to wait for, the first client command's passing run, which is that step's observation. */
  firstRun?: RunResult;
}

export interface ProbeObservation {
  step: ProbeStep;
  http?: HttpResult;
  tcp?: TcpResult;
}
export interface CmdObservation {
  step: CmdStep;
  run: RunResult;
}
export interface RestartObservation {
  step: { kind: 'restart' };
  stop: StopResult;
  start: Start;
}
export type Observation = ProbeObservation | CmdObservation | RestartObservation;

export interface SessionResult {
  start: Start;
  observations: Observation[];
  /** How the service ended when it was stopped at the end (not for a traced session: the tracer holds signals). */
  stop?: StopResult;
  /** What every process of the service used, when it was traced. */
  paths: TracedPath[];
  logs: string;
}

export interface SessionOptions {
  launch: ServiceLaunch;
  steps: Step[];
  prober: BroughtIn;
  /** The image probe containers and client commands run from (the base: it has the clients). */
  clientImage: string;
  /** Seconds to wait for the service to be ready, and for each client command. */
  timeout: number;
  /** Seconds `docker stop` waits before it kills. */
  stopTimeout: number;
  leftovers: Leftovers;
  /** Run the service hardened (generate's hardening.ts): read-only, its capabilities only, tmpfs and volumes where it writes. */
  hardened?: Hardened;
}

const POLL_MS = 3000;

/** Waits until the service is ready, or has exited, or the time is up; the last two say why, with its log. */
async function ready(engine: Engine, service: Service, o: SessionOptions, ports: number[], first?: Step): Promise<Start> {
  const deadline = Date.now() + o.timeout * 1000;
  const network = `container:${service.name}`;
  for (;;) {
    const state = await serviceState(engine, service.name);
    if (!state.running)
      return { ok: false, why: `the service exited with status ${state.exitCode}`, logs: await serviceLogs(engine, service.name) };
    const left = deadline - Date.now();
    if (ports.length) {
      const answer = await runProber<{ ready: number[] }>(
        engine,
        o.clientImage,
        o.prober,
        { wait: { ports, ms: Math.max(0, Math.min(left, POLL_MS)) } },
        { network, leftovers: o.leftovers },
      );
      if (answer && ports.every((p) => answer.ready.includes(p))) return { ok: true };
      if (Date.now() >= deadline) {
        const closed = ports.filter((p) => !answer?.ready.includes(p));
        return {
          ok: false,
          why: `port ${closed.join(', ')} never accepted a connection in ${o.timeout} s`,
          logs: await serviceLogs(engine, service.name),
        };
      }
    } else if (first?.kind === 'cmd') {
      // No port to wait for: the first client command is tried until it passes (a database takes seconds to open).
      const r = await runContainer(engine, o.clientImage, first.argv.slice(1), {
        entrypoint: [first.argv[0]],
        network,
        timeout: Math.max(1, left / 1000),
      });
      if (r.exitCode === 0) return { ok: true, firstRun: r };
      if (Date.now() >= deadline)
        return { ok: false, why: `'${first.text}' did not pass in ${o.timeout} s`, logs: await serviceLogs(engine, service.name) };
      await new Promise((r) => setTimeout(r, 500));
    } else {
      return { ok: true };
    }
  }
}

function portsOf(steps: Step[]): number[] {
  return [...new Set(steps.flatMap((s) => (s.kind === 'probe' ? [s.probe.port] : [])))];
}

/**
 * Starts the service, waits until it is ready, does each step (probes batched into one client run, client
 * commands in containers of the base that join the service's network, restarts: a stop with the image's stop
 * signal and a new container on the same volumes), then stops it and reads its log. A traced session is
 * removed instead of stopped: strace holds fatal signals, and only what the service used matters there.
 */
export async function runSession(engine: Engine, o: SessionOptions): Promise<SessionResult> {
  const ports = portsOf(o.steps);
  const services: Service[] = [];
  const sockets = await sessionVolumes(engine, o, socketDirs(o.steps));
  const hardened = o.hardened && adjusted(o.hardened, { ports, mounted: sockets.map((v) => v.dir) });
  const state = hardened ? await sessionVolumes(engine, o, hardened.volumes) : [];
  const launch = {
    ...o.launch,
    volumes: [...o.launch.volumes, ...sockets.map((v) => `${v.volume}:${v.dir}`)],
    extraArgs: hardened ? hardenedArgs(hardened, (p) => state.find((v) => v.dir === p)?.volume) : undefined,
  };
  let service = await startService(engine, launch, o.leftovers);
  services.push(service);
  const start = await ready(engine, service, o, ports, o.steps[0]);
  const observations: Observation[] = [];
  let alive = start.ok;
  let passed = start.firstRun;
  for (let i = 0; alive && i < o.steps.length; i++) {
    const step = o.steps[i];
    const network = `container:${service.name}`;
    if (step.kind === 'probe') {
      const batch: ProbeStep[] = [step];
      while (o.steps[i + 1]?.kind === 'probe') batch.push(o.steps[++i] as ProbeStep);
      const unix = batch.map((b) => (b.probe.kind === 'tcp' ? b.probe.unix : undefined)).find((u) => u !== undefined);
      const answer = await runProber<{ results: (HttpResult & TcpResult)[] }>(
        engine,
        o.clientImage,
        o.prober,
        { probes: batch.map((b) => b.probe) },
        {
          network,
          timeout: o.timeout + 30 * batch.length,
          leftovers: o.leftovers,
          // Through a unix socket: its directory shared, as the service's user (peer authentication).
          ...(unix ? { user: unix.uid, mounts: sockets.flatMap((v) => ['-v', `${v.volume}:${v.dir}`]) } : {}),
        },
      );
      batch.forEach((b, k) => {
        const r = answer?.results[k] ?? { error: 'the service was gone', reply: '', expectFound: null };
        observations.push(b.probe.kind === 'http' ? { step: b, http: r } : { step: b, tcp: r });
      });
    } else if (step.kind === 'cmd') {
      const run =
        passed ??
        (await runContainer(engine, o.clientImage, step.argv.slice(1), {
          entrypoint: [step.argv[0]],
          network,
          timeout: o.timeout,
          leftovers: o.leftovers,
        }));
      observations.push({ step, run });
    } else {
      const stop = o.launch.tracer || o.launch.qemu ? await kill(engine, service) : await stopService(engine, service.name, o.stopTimeout);
      service = await startService(engine, launch, o.leftovers);
      services.push(service);
      const again = await ready(engine, service, o, ports, o.steps[i + 1]);
      observations.push({ step, stop, start: again });
      alive = again.ok;
      passed = again.firstRun;
      continue;
    }
    passed = undefined;
  }
  const logs = await serviceLogs(engine, service.name);
  let stop: StopResult | undefined;
  if (o.launch.tracer || o.launch.qemu) await kill(engine, service);
  else stop = await stopService(engine, service.name, o.stopTimeout);
  const paths = (await Promise.all(services.map((s) => tracedPaths(engine, s)))).flat();
  return { start, observations, stop, paths, logs };
}

/** The unix socket directories the probes go through. */
function socketDirs(steps: Step[]): string[] {
  return [...new Set(steps.flatMap((s) => (s.kind === 'probe' && s.probe.kind === 'tcp' && s.probe.unix ? [s.probe.unix.dir] : [])))];
}

/**
 * A fresh volume for each directory, for the session (its restarts included): a unix socket directory a probe goes
 * through, mounted there in the service's container and in the probe's; a hardened run's data directory. The
 * engine seeds each from the image's directory (content, owner and mode kept). Removed with `leftovers`.
 */
async function sessionVolumes(engine: Engine, o: SessionOptions, dirs: string[]): Promise<{ dir: string; volume: string }[]> {
  const out: { dir: string; volume: string }[] = [];
  for (const dir of dirs) {
    const volume = o.leftovers.volume(`scratchify-volume-${randomBytes(6).toString('hex')}`);
    const made = await engine.exec(['volume', 'create', volume], { timeout: 60_000 });
    if (made.exitCode !== 0)
      throw new ScratchifyError('ENGINE_UNAVAILABLE', `could not create a volume for ${dir} (${made.stderr.trim()})`, {
        hint: 'check the engine and free disk space',
      });
    out.push({ dir, volume });
  }
  return out;
}

async function kill(engine: Engine, service: Service): Promise<StopResult> {
  await engine.exec(['kill', service.name], { timeout: 60_000 });
  return { exitCode: 137, seconds: 0, status: 'killed' };
}
