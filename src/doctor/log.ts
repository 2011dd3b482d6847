import type { Diagnosis, Problem } from './diagnose.js';

/** One failure line recognised in a log, and the name it is about. */
export interface LogFinding {
  line: string;
  kind: 'not-found' | 'wrong-class' | 'version' | 'exec' | 'exec-format' | 'dlopen';
  name: string;
}

const PATTERNS: { re: RegExp; kind: LogFinding['kind']; group: number }[] = [
  { re: /error while loading shared libraries: ([^:]+): cannot open shared object file/, kind: 'not-found', group: 1 },
  { re: /error while loading shared libraries: ([^:]+): wrong ELF class/, kind: 'wrong-class', group: 1 },
  { re: /version [`']([^`']+)' not found \(required by ([^)]+)\)/, kind: 'version', group: 1 },
  { re: /dlopen\(\) "([^"]+)" failed \(([^:]+): cannot open shared object file/, kind: 'dlopen', group: 2 },
  { re: /exec (\S+): exec format error/, kind: 'exec-format', group: 1 },
  { re: /exec (\S+): no such file or directory/, kind: 'exec', group: 1 },
];

/** Picks the loader's, the kernel's and nginx's failure lines out of a log. */
export function parseFailureLog(text: string): LogFinding[] {
  const out: LogFinding[] = [];
  for (const line of text.split('\n')) {
    for (const p of PATTERNS) {
      const m = p.re.exec(line);
      if (m) {
        out.push({ line: line.trim(), kind: p.kind, name: m[p.group] });
        break;
      }
    }
  }
  return out;
}

/** Matches each log line to what the simulation found, so the user sees the cause behind the message. */
export function explainLog(findings: LogFinding[], d: Diagnosis): { finding: LogFinding; problem?: Problem; explanation: string }[] {
  return findings.map((f) => {
    const problem = d.problems.find((p) => {
      if (f.kind === 'exec') return p.kind === 'interpreter-missing' || p.kind === 'libc-mismatch';
      if (f.kind === 'dlopen') return p.name === f.name || p.chain.includes(f.name) || (p.kind === 'not-found' && f.line.includes(p.name));
      if (f.kind === 'version') return p.kind === 'version' && p.name === f.name;
      return p.name === f.name;
    });
    if (problem) return { finding: f, problem, explanation: `${problem.message}; chain: ${problem.chain.join(' -> ')}` };
    if (f.kind === 'exec-format') {
      const e = d.map.program.elf;
      return {
        finding: f,
        explanation: `the kernel cannot run ${f.name}: it is ELFCLASS${e.class} for machine ${e.machine}; the host or the image platform differs`,
      };
    }
    return {
      finding: f,
      explanation:
        'not reproduced against this target: the log may come from another image, or from a run-time dlopen scratchify cannot see',
    };
  });
}
