import { execa } from 'execa';
import { BIN } from './paths.js';

/** What verify --json reports of a service, as the tests read it. */
export interface Check {
  name: string;
  pass: boolean;
  differences: string[];
  base?: { http?: { status: number; location: string | null; contentType: string | null; sha256: string }; run?: { stdout: string } };
  scratch?: Check['base'];
}
export interface Report {
  pass: boolean;
  added: { path: string }[];
  service: ({ pass: boolean; checks: Check[]; missing: { path: string; fix: string }[] } | null)[];
}

/** verify --json with `args`; its exit code, report and standard error. */
export async function verify(args: string[], cwd?: string) {
  const r = await execa(BIN, ['verify', '--json', ...args], { reject: false, cwd, timeout: 600_000 });
  if (!r.stdout.startsWith('{')) throw new Error(`verify ${args.join(' ')} printed no report (exit ${r.exitCode}): ${r.stderr}`);
  return { code: r.exitCode ?? -1, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/** The last round's checks by name. */
export function checks(report: Report): Map<string, Check> {
  const last = report.service[report.service.length - 1];
  return new Map((last?.checks ?? []).map((c) => [c.name, c]));
}
