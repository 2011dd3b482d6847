import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '.fixtures');

/** Builds the C fixtures once per run (they are small), and the CLI (e2e tests run bin/run.js). */
export default function setup(): void {
  execFileSync('bash', [join(import.meta.dirname, 'fixtures', 'build.sh'), FIXTURES], { stdio: 'inherit' });
  const dist = join(import.meta.dirname, '..', 'dist');
  if (!['scratchify.mjs', 'resolve-fast.cjs'].every((f) => existsSync(join(dist, f)))) {
    execFileSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: join(import.meta.dirname, '..') });
  }
}
