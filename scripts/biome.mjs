#!/usr/bin/env node
// Runs Biome's own binary from its platform package. The package registry this project installs from carries
// Biome's Linux builds only, and `npm ci` refuses a lock file that lacks the other platforms' optional packages
// that the @biomejs/biome wrapper names; so the dev dependency is the x86-64 glibc build, the platform the
// project is developed and tested on (Debian 12, x86-64).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let bin;
try {
  bin = join(dirname(createRequire(import.meta.url).resolve('@biomejs/cli-linux-x64/package.json')), 'biome');
} catch {
  bin = undefined;
}
if (!bin || !existsSync(bin) || process.platform !== 'linux' || process.arch !== 'x64') {
  console.error('biome: the lint step runs on Linux x86-64 (npm ci installs @biomejs/cli-linux-x64 there)');
  process.exit(1);
}
const r = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 1);
