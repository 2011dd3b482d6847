import type { CmdObservation, Observation, ProbeObservation, RestartObservation, SessionResult, Start, Step } from '../engine/session.js';
import { roundTripWords } from '../engine/probe-spec.js';
import type { StopResult } from '../engine/service.js';

/** One probe, client command, restart, start or stop of the service, compared between the base and the scratch image. */
export interface ProbeOutcome {
  name: string;
  /** The round trip a probe made, when it spoke the service's protocol or HTTP in place of a bare connection. */
  roundTrip?: string;
  pass: boolean;
  differences: string[];
  base?: unknown;
  scratch?: unknown;
}

export function stepName(step: Step): string {
  if (step.kind === 'probe') return `--probe '${step.probe.text}'`;
  if (step.kind === 'cmd') return `--probe-cmd '${step.text}'`;
  return '--restart';
}

/** Why an observation in the base cannot be compared with anything (the probe fails there too), or undefined. */
export function failsInBase(o: Observation): string | undefined {
  if (o.step.kind === 'probe') {
    const { http, tcp } = o as ProbeObservation;
    if (http?.error) return `the request failed (${http.error})`;
    if (tcp?.error) return `the connection failed (${tcp.error})`;
    if (tcp?.expectFound === false) return `the reply lacks the expected text (it was ${JSON.stringify(replyText(tcp.reply))})`;
  } else if (o.step.kind === 'cmd') {
    const { run } = o as CmdObservation;
    if (run.exitCode !== 0)
      return `it exits with status ${run.exitCode}${run.timedOut ? ' (stopped at the time limit)' : ''}: ${lastLine(run.stderr)}`;
  } else if (!(o as RestartObservation).start.ok) return `the service did not start again: ${(o as RestartObservation).start.why}`;
  return undefined;
}

const lastLine = (s: string) => s.trim().split('\n').pop() || 'it printed nothing on standard error';
const replyText = (b64: string) => {
  const t = Buffer.from(b64, 'base64').toString('utf8');
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
};

function same<T>(what: string, a: T, b: T, out: string[], show: (v: T) => string = (v) => JSON.stringify(v)): void {
  if (a !== b) out.push(`${what} ${show(b)}, the base's ${show(a)}`);
}

function compareOne(base: Observation, scratch: Observation | undefined): string[] {
  const d: string[] = [];
  if (!scratch) return ['not reached: the service was not running'];
  if (base.step.kind === 'probe' && (base as ProbeObservation).http) {
    const a = (base as ProbeObservation).http!;
    const b = (scratch as ProbeObservation).http!;
    if (b.error) return [`the request failed (${b.error})`];
    same('HTTP status', a.status, b.status, d);
    same('Location', a.location, b.location, d);
    same('Content-Type', a.contentType, b.contentType, d);
    if (a.sha256 !== b.sha256)
      d.push(`the body differs (${b.bytes} bytes, the base's ${a.bytes}; it begins ${JSON.stringify(b.head?.slice(0, 60))})`);
  } else if (base.step.kind === 'probe') {
    const a = (base as ProbeObservation).tcp!;
    const b = (scratch as ProbeObservation).tcp!;
    if (b.error) return [`the connection failed (${b.error})`];
    if (a.expectFound !== null) same('the expected text found:', a.expectFound, b.expectFound, d);
    else if (a.reply !== b.reply)
      d.push(`the reply ${JSON.stringify(replyText(b.reply))}, the base's ${JSON.stringify(replyText(a.reply))}`);
  } else if (base.step.kind === 'cmd') {
    const a = (base as CmdObservation).run;
    const b = (scratch as CmdObservation).run;
    same('exit status', a.exitCode, b.exitCode, d);
    if (a.stdout !== b.stdout)
      d.push(`standard output differs (${JSON.stringify(b.stdout.slice(0, 80))}, the base's ${JSON.stringify(a.stdout.slice(0, 80))})`);
  } else {
    const b = scratch as RestartObservation;
    d.push(...stopDifferences((base as RestartObservation).stop, b.stop));
    if (!b.start.ok) d.push(`it did not start again: ${b.start.why}${b.start.logs ? `; its last lines: ${oneLine(b.start.logs)}` : ''}`);
  }
  return d;
}

function stopDifferences(a: StopResult | undefined, b: StopResult | undefined): string[] {
  if (!a || !b || a.status === b.status) return [];
  return [`stopped as '${b.status}' (exit ${b.exitCode} after ${b.seconds.toFixed(1)} s), the base '${a.status}' (exit ${a.exitCode})`];
}

export const oneLine = (logs: string) => logs.trim().split('\n').slice(-5).join(' | ');

function startOutcome(start: Start): ProbeOutcome {
  return {
    name: 'start',
    pass: start.ok,
    differences: start.ok ? [] : [`${start.why}${start.logs ? `; its last lines: ${oneLine(start.logs)}` : ''}`],
  };
}

/**
 * The scratch image's session against the base's: that it started; each step (HTTP status, Location,
 * Content-Type and a digest of the body; a TCP reply, or only whether it holds the expected text; a client's
 * exit status and standard output; a restart's stop and start); how it stopped (the same class: stopped, error,
 * died of a signal, killed at the time limit).
 */
export function compareSessions(base: SessionResult, scratch: SessionResult): ProbeOutcome[] {
  const out: ProbeOutcome[] = [startOutcome(scratch.start)];
  base.observations.forEach((b, i) => {
    const s = scratch.observations[i];
    const differences = compareOne(b, s);
    const roundTrip = roundTripOf(b.step);
    out.push({
      name: stepName(b.step),
      ...(roundTrip ? { roundTrip } : {}),
      pass: differences.length === 0,
      differences,
      base: strip(b),
      scratch: s && strip(s),
    });
  });
  if (scratch.start.ok && base.stop && scratch.stop) {
    const differences = stopDifferences(base.stop, scratch.stop);
    out.push({ name: 'stop', pass: differences.length === 0, differences, base: base.stop, scratch: scratch.stop });
  }
  return out;
}

function roundTripOf(step: Step): string | undefined {
  if (step.kind !== 'probe') return undefined;
  const p = step.probe;
  if (p.kind === 'tcp') return roundTripWords(p);
  return p.text.startsWith('tcp://') || p.text.startsWith('default') ? `an HTTP ${p.method} of ${p.path}` : undefined;
}

function strip(o: Observation): unknown {
  const { step: _step, ...rest } = o;
  return rest;
}
