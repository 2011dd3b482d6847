import { parseProbe, type ProbeSpec, withRoundTrips } from '../engine/probe-spec.js';
import type { Step } from '../engine/session.js';
import { parseVolume, type VolumeSpec } from '../engine/volumes.js';
import { splitWords } from '../engine/words.js';
import { ScratchifyError } from '../errors.js';

/** A number of seconds given on the command line. */
export function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ScratchifyError('USAGE', `--${flag} ${value}: not a number of seconds`, { hint: `give seconds, e.g. --${flag} 30` });
  return n;
}

/**
 * The steps in the order they were given: oclif keeps each flag's values in order, but not how --probe,
 * --probe-cmd and --restart interleave, which the raw tokens still show.
 */
export function serviceSteps(raw: readonly { type: string; flag?: string; input: string }[]): Step[] {
  const steps: Step[] = [];
  for (const t of raw) {
    if (t.type !== 'flag') continue;
    if (t.flag === 'probe') steps.push({ kind: 'probe', probe: parseProbe(t.input) });
    else if (t.flag === 'probe-cmd') {
      const argv = splitWords(t.input);
      if (argv.length === 0)
        throw new ScratchifyError('USAGE', '--probe-cmd is empty', {
          hint: "give a client and its arguments, e.g. --probe-cmd 'redis-cli ping'",
        });
      steps.push({ kind: 'cmd', text: t.input, argv });
    } else if (t.flag === 'restart') steps.push({ kind: 'restart' });
  }
  if (steps.length && steps[steps.length - 1].kind === 'restart')
    throw new ScratchifyError('USAGE', '--restart comes last: nothing is asked of the service after it starts again', {
      hint: 'put a --probe or --probe-cmd after --restart, to read back what the service kept',
    });
  return steps;
}

export function volumes(values: string[] | undefined): VolumeSpec[] {
  return (values ?? []).map(parseVolume);
}

/**
 * The steps with each bare tcp:// probe of a service whose protocol scratchify speaks made that protocol's round
 * trip (probe-spec.ts: withRoundTrips); with `orDefault` and no steps at all, one such round trip on its port.
 */
export function roundTripSteps(steps: Step[], program: string, orDefault: boolean): Step[] {
  const probes = steps.flatMap((s) => (s.kind === 'probe' ? [s.probe] : []));
  const made = withRoundTrips(probes, program, orDefault && steps.length === 0);
  if (steps.length === 0) return made.map((probe): Step => ({ kind: 'probe', probe }));
  let i = 0;
  return steps.map((s) => (s.kind === 'probe' ? { kind: 'probe', probe: made[i++] as ProbeSpec } : s));
}
