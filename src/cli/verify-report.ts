import { hardenedFlags } from '../generate/hardening.js';
import { parentOf } from '../generate/plan.js';
import { COLLAPSE_AT, groupUnder } from '../verify/compare.js';
import type { VerifyReport } from '../verify/verify.js';

/** Missing paths, one line each, except that many under one directory read as that directory. */
function missingLines(missing: { path: string; fix: string }[]): string[] {
  const lines: string[] = [];
  for (const [dir, ms] of groupUnder(missing)) {
    if (ms.length > COLLAPSE_AT) lines.push(`    missing ${ms.length} paths under ${dir} (${ms[0].path}, ...): --include ${dir}`);
    else for (const m of ms) lines.push(`    missing ${m.path}: ${m.fix}`);
  }
  return lines;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A smoke command as the user gave it; no arguments at all is said so. */
const smokeLabel = (smoke: string) => (smoke.trim() === '' ? "'' (no arguments)" : smoke);

/** verify's report for a person: PASS or FAIL per smoke command and per probe, what is missing, what --fix added. */
export function reportLines(report: VerifyReport, out: string | undefined): string[] {
  const lines: string[] = [];
  const last = report.rounds[report.rounds.length - 1];
  if (report.rounds.length > 1) {
    const first = report.rounds[0];
    for (const o of first.outcomes.filter((x) => !x.pass))
      lines.push(`FAIL (before --fix) ${smokeLabel(o.smoke)}: ${o.differences.join('; ')}`);
    for (const o of first.service?.outcomes.filter((x) => !x.pass) ?? [])
      lines.push(`FAIL (before --fix) ${o.name}: ${o.differences.join('; ')}`);
  }
  for (const o of last.outcomes) {
    lines.push(`${o.pass ? 'PASS' : 'FAIL'} ${smokeLabel(o.smoke)}${o.pass ? '' : `: ${o.differences.join('; ')}`}`);
    lines.push(...missingLines(o.missing));
    for (const l of o.loader) lines.push(`    doctor: ${l}`);
    if (!o.pass && o.missing.length === 0 && o.loader.length === 0)
      lines.push('    the base run used nothing the scratch image lacks: the difference is not a missing file');
  }
  const service = last.service;
  if (service) {
    for (const o of service.outcomes) {
      lines.push(`${o.pass ? 'PASS' : 'FAIL'} ${o.name}${o.pass ? '' : `: ${o.differences.join('; ')}`}`);
      if (o.roundTrip) lines.push(`    round trip: ${o.roundTrip}`);
    }
    lines.push(...missingLines(service.missing));
    for (const l of service.loader) lines.push(`    doctor: ${l}`);
    if (!service.pass && service.missing.length === 0 && service.loader.length === 0)
      lines.push("    the base's service used nothing the scratch image lacks: the difference is not a missing file");
  }
  if (report.added.length) {
    lines.push(`--fix added ${plural(report.added.length, 'path')}:`);
    for (const a of report.added)
      lines.push(
        a.use === 'written'
          ? `    directory ${parentOf(a.path)} (${a.path.slice(parentOf(a.path).length + 1)} was created there ${a.reason})`
          : `    ${a.use === 'read' ? '--include' : 'directory'} ${a.path} (${a.reason})`,
      );
  }
  const parts: string[] = [];
  if (last.outcomes.length) {
    const passed = last.outcomes.filter((o) => o.pass).length;
    parts.push(
      `${passed} of ${plural(last.outcomes.length, 'smoke command')} ${last.outcomes.length === 1 ? 'behaves' : 'behave'} as in the base`,
    );
  }
  if (service) {
    const passed = service.outcomes.filter((o) => o.pass).length;
    parts.push(`${passed} of ${service.outcomes.length} service checks (start, probes, stop) pass`);
  }
  if (report.hardened) lines.push(`the scratch image ran hardened, with: ${hardenedFlags(report.hardened)}`);
  lines.push(
    `${parts.join('; ')}${out ? (report.pass ? `; wrote ${out}` : `; did not write ${out}: the image it gives does not pass`) : ''}`,
  );
  return lines;
}

/** verify's --json report. */
export function verifyJson(report: VerifyReport, out: string | undefined, warnings: string[]): Record<string, unknown> {
  return {
    pass: report.pass,
    dockerfile: report.pass ? (out ?? null) : null,
    hardened: report.hardened ?? null,
    added: report.added.map((a) => ({ path: a.path, use: a.use, reason: a.reason })),
    rounds: report.rounds.map((r) =>
      r.outcomes.map((o) => ({
        smoke: o.smoke,
        pass: o.pass,
        differences: o.differences,
        missing: o.missing.map((m) => ({ path: m.path, use: m.use, fix: m.fix })),
        loader: o.loader,
        base: { exitCode: o.base.exitCode, stdout: o.base.stdout, stderr: o.base.stderr },
        scratch: { exitCode: o.scratch.exitCode, stdout: o.scratch.stdout, stderr: o.scratch.stderr },
      })),
    ),
    service: report.rounds.map((r) =>
      r.service
        ? {
            pass: r.service.pass,
            checks: r.service.outcomes,
            missing: r.service.missing.map((m) => ({ path: m.path, use: m.use, fix: m.fix })),
            loader: r.service.loader,
          }
        : null,
    ),
    warnings,
  };
}
