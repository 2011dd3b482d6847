import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '.fixtures');

/**
 * Builds the C fixtures once per run (they are small), and the CLI (e2e tests run bin/run.js). Every temporary
 * file of the run (the tests' own, scratchify's, the engines' build contexts) goes under one directory, set as
 * TMPDIR for the test processes and removed at the end: exports and bundles are hundreds of MB each, and runs
 * that left them behind filled this machine's disk.
 */
export default function setup(): () => void {
  execFileSync('bash', [join(import.meta.dirname, 'fixtures', 'build.sh'), FIXTURES], { stdio: 'inherit' });
  const dist = join(import.meta.dirname, '..', 'dist');
  if (!['scratchify.cjs', 'resolve-fast.cjs'].every((f) => existsSync(join(dist, f)))) {
    execFileSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: join(import.meta.dirname, '..') });
  }
  const runTmp = mkdtempSync(join(tmpdir(), 'scratchify-test-run-'));
  // Tests that run scratchify as another user (nobody) must be able to reach their own directories in it.
  chmodSync(runTmp, 0o755);
  process.env.TMPDIR = runTmp;
  return () => rmSync(runTmp, { recursive: true, force: true });
}
