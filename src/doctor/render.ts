import { ruleText } from '../resolve/report.js';
import type { Tried } from '../resolve/types.js';
import type { Diagnosis, Problem } from './diagnose.js';
import type { Fix } from './fixes.js';
import type { InTargetFix } from './found-elsewhere.js';

/** One line per path: the loader tries some twice (an ld.so.cache entry, then the same default directory). */
export function mergeTried(tried: Tried[]): { path: string; why: string; detail?: string; rules: string[] }[] {
  const out: { path: string; why: string; detail?: string; rules: string[] }[] = [];
  for (const t of tried) {
    const rule = t.how ? ruleText(t.how) : undefined;
    const same = out.find((o) => o.path === t.path && o.why === t.why);
    if (same) {
      if (rule && !same.rules.includes(rule)) same.rules.push(rule);
      continue;
    }
    out.push({ path: t.path, why: t.why, detail: t.detail, rules: rule ? [rule] : [] });
  }
  return out;
}

/** What doctor prints for one problem: the loader's words, the chain, each path tried and its rule, the fixes. */
export function problemLines(p: Problem, fix: Fix | undefined, inTarget: InTargetFix | undefined, targetName: string): string[] {
  const out = [`${p.fatal ? '✗' : '!'} ${p.message}`];
  if (p.chain.length > 1) out.push(`    needed through: ${p.chain.join(' -> ')}`);
  for (const t of mergeTried(p.tried)) {
    const why = [t.detail, ...t.rules].filter(Boolean).join('; ');
    out.push(`    tried ${t.path}: ${t.why}${why ? ` (${why})` : ''}`);
  }
  for (const c of inTarget?.found ?? [])
    out.push(
      `    found ${c.path} in ${targetName} (${c.by === 'name' ? 'that name' : `DT_SONAME ${p.name}`}, the right class and machine), on no path the loader searches`,
    );
  if (fix?.note) out.push(`    note: ${fix.note}`);
  for (const l of fix?.lines ?? []) out.push(`    fix: ${l}`);
  if (inTarget?.place && !fix?.lines.length)
    out.push(`    fix: put ${inTarget.place.from} at ${inTarget.place.to}, where the loader looks`);
  if (inTarget?.libraryPath)
    out.push(`    or:  ENV LD_LIBRARY_PATH=${inTarget.libraryPath} (searched before DT_RUNPATH and the default directories)`);
  if (inTarget?.runpath) {
    const r = inTarget.runpath;
    out.push(
      `    or:  link ${r.owner} with ${r.kind} ${r.now} (it has ${r.was}): -Wl,-rpath,'${r.now}' or patchelf --set-rpath '${r.now}'`,
    );
  }
  return out;
}

export function doctorText(d: Diagnosis, targetName: string, fixes: Fix[], inTarget: InTargetFix[], command: string | undefined): string {
  const out: string[] = [`${d.program} in ${targetName} (${d.map.libc}):`];
  for (const p of d.problems)
    out.push(
      ...problemLines(
        p,
        fixes.find((f) => f.problem === p),
        inTarget.find((f) => f.problem === p),
        targetName,
      ),
    );
  out.push(d.starts ? '✓ the loader would start it' : '✗ it would not start');
  if (command) out.push(`fix it with: ${command}`);
  return `${out.join('\n')}\n`;
}
