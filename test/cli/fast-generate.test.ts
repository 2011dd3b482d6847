import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from '@oclif/core';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import Generate from '../../src/cli/commands/generate.js';
import { fastGenerateArgs, flagDefOf, type GenerateFlagsFile } from '../../src/cli/fast-generate.js';
import { positionals } from '../../src/cli/positionals.js';
import { BIN, FIXTURES, REPO } from '../helpers/paths.js';

// The main job (`scratchify BINARY ...`) runs without oclif when its argv is plain (bin/run.js,
// src/cli/fast-generate.ts). These tests hold the fast path to oclif's parse, and the two paths to the same
// output, files, errors and exit codes.

const tmp = mkdtempSync(join(tmpdir(), 'scratchify-fast-generate-'));
const small = join(FIXTURES, 'rpath_is_inherited');
const oclifFlags = { ...Generate.baseFlags, ...Generate.flags };
const file: GenerateFlagsFile = {
  version: '0',
  flags: Object.fromEntries(Object.entries(oclifFlags).map(([n, f]) => [n, flagDefOf(f as never)!])),
};

// A program that generates (this machine's ls, with its dpkg database), and error cases on a small fixture root.
const taken: string[][] = [
  ['/usr/bin/ls', '--root', '/'],
  ['generate', '/usr/bin/ls', '--root', '/', '-o', 'Dockerfile'],
  ['/usr/bin/ls', '-r', '/', '--no-references', '--tz', 'UTC', '--verbose', '-o', 'Dockerfile'],
  ['/usr/bin/ls', '--root', '/', '-o', 'Dockerfile', '--', '-l', '/ a'],
  ['/usr/bin/ls', 'first', 'second', '--root', '/', '--include', '/etc/hostname', '-i', '/etc/os-release', '-o', 'D'],
  ['/usr/bin/ls', '--root=/', '--no-gconv', '--no-package-metadata', '--user', 'nobody', '--expose', '80', '-o', 'D'],
  ['/bin/prog', '--root', small],
  ['/no/such/program', '--root', small],
  ['/usr/bin/ls', '--root', '/', '--expose', 'not-a-port'],
  ['/bin/prog', '--root', join(tmp, 'nowhere')],
];
const leftToOclif: string[][] = [
  ['/bin/prog', '--json', '--root', small],
  ['/bin/prog', '--root', small, '--base-config', '--no-base-config'],
  ['/bin/prog', '--dockerfile', 'Dockerfile', '--target', 'build'],
  ['/bin/prog', '--root', small, '--trace-service', '--probe', 'http://127.0.0.1/'],
  ['/bin/prog', '--root', small, '--volume', 'v:/data'],
  ['prog', '--root', small],
  ['verfy', '/bin/prog'],
  ['--root', small, '/bin/prog'],
  ['/bin/prog', '--help'],
  ['/bin/prog', '-h'],
  ['/bin/prog', '--no-such-flag'],
  ['/bin/prog', '-o', '-', '--root', small],
  ['/bin/prog', '--root', small, '--user', ''],
  ['/bin/prog', '--verbose=true', '--root', small],
  ['/bin/prog', '--sbom-format', 'yaml', '--root', small],
  ['/bin/prog', '--root', small, '--root', small],
  ['/bin/prog', '--include', '/lib', '/bin/other', '--root', small],
  ['/bin/prog', '--no-json', '--root', small],
];

describe('the main job without oclif', () => {
  it.each(taken)('%j: taken, and parsed as oclif parses it', async (...argv) => {
    const fast = fastGenerateArgs(argv, file);
    expect(fast).toBeDefined();
    const args = argv[0] === 'generate' ? argv.slice(1) : argv;
    const oclif = await Parser.parse(args, { flags: oclifFlags, args: Generate.args, strict: false });
    expect(fast!.flags).toEqual(oclif.flags);
    expect(Object.keys(fast!.flags).sort()).toEqual(Object.keys(oclif.flags).sort());
    expect(fast!.positionals).toEqual(positionals(oclif.raw));
  });

  it.each(leftToOclif)('%j: left to oclif', (...argv) => {
    expect(fastGenerateArgs(argv, file)).toBeUndefined();
  });

  it("the build's copy of generate's flags is the command's own", () => {
    const built = JSON.parse(readFileSync(join(REPO, 'dist', 'generate-flags.json'), 'utf8')) as GenerateFlagsFile;
    expect(built.flags).toEqual(file.flags);
    expect(Object.keys(built.flags)).toEqual(Object.keys(file.flags));
    expect(built.version).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });

  it.each(taken)('%j: same output, files, errors and exit code as through oclif', async (...argv) => {
    const run = async (name: string, env: Record<string, string>) => {
      const cwd = join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
      mkdirSync(cwd);
      const r = await execa(BIN, argv, { reject: false, cwd, stdin: 'ignore', env });
      const digest = (f: string) =>
        createHash('sha256')
          .update(readFileSync(join(cwd, f)))
          .digest('hex');
      const files = Object.fromEntries(readdirSync(cwd).map((f) => [f, digest(f)]));
      const here = (s: string) => s.replaceAll(cwd, '<cwd>');
      return { stdout: here(r.stdout), stderr: here(r.stderr), exitCode: r.exitCode, files };
    };
    const [fast, oclif] = await Promise.all([run('fast', {}), run('oclif', { SCRATCHIFY_NO_FAST_PATH: '1' })]);
    expect(fast).toEqual(oclif);
  });

  it('never loads oclif: a copy whose oclif bundle throws still generates, and says so only through oclif', async () => {
    const copy = join(tmp, 'copy');
    for (const d of ['bin', 'dist', 'templates']) cpSync(join(REPO, d), join(copy, d), { recursive: true });
    for (const f of ['package.json', 'oclif.manifest.json']) cpSync(join(REPO, f), join(copy, f));
    writeFileSync(join(copy, 'dist', 'scratchify.cjs'), "throw new Error('oclif was loaded');\n");
    rmSync(join(copy, 'dist', 'scratchify.cjs.v8cache'));
    const opts = { reject: false, cwd: copy, stdin: 'ignore' } as const;
    const fast = await execa(join(copy, 'bin', 'run.js'), ['/usr/bin/ls', '--root', '/', '-o', 'Dockerfile'], opts);
    expect(fast.stderr).not.toContain('oclif was loaded');
    expect(fast.exitCode).toBe(0);
    expect(readFileSync(join(copy, 'Dockerfile'), 'utf8')).toMatch(/^FROM scratch/m);
    const slow = await execa(join(copy, 'bin', 'run.js'), ['/bin/prog', '--json', '--root', small], opts);
    expect(slow.stderr).toContain('oclif was loaded');
  });
});
