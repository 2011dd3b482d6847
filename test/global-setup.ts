import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '.fixtures');

/** Builds the C fixtures once per run (they are small), and the CLI (e2e tests run bin/run.js). */
export default function setup(): void {
  execFileSync('bash', [join(import.meta.dirname, 'fixtures', 'build.sh'), FIXTURES], { stdio: 'inherit' });
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'commands', 'index.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: join(import.meta.dirname, '..') });
  }
}
