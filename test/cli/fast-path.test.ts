import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../src/cli/fast/parse.js';
import { RESOLVE_FLAGS } from '../../src/cli/resolve-run.js';
import { BIN, FIXTURES, REPO } from '../helpers/paths.js';

// `scratchify resolve` runs without oclif when its argv is plain (bin/run.js, src/cli/fast/resolve.ts). These tests
// hold the two paths to the same output, errors and exit codes, and check which argv the fast path takes.

const tmp = mkdtempSync(join(tmpdir(), 'scratchify-fast-'));
const text = join(tmp, 'notes.txt');
writeFileSync(text, 'plain text');
const inherited = join(FIXTURES, 'rpath_is_inherited');
const missingLib = join(FIXTURES, 'runpath_is_not_inherited/bin/prog');
const ldPath = join(FIXTURES, 'rpath_before_ld_library_path');

interface Row {
  argv: string[];
  fast: boolean;
}

const rows: Row[] = [
  { argv: ['/bin/ls'], fast: true },
  { argv: ['/bin/ls', '/usr/bin/env', '--format', 'list'], fast: true },
  { argv: ['--format=json', '/bin/ls'], fast: true },
  { argv: ['-f', 'list', '/bin/ls'], fast: true },
  { argv: [missingLib], fast: true },
  { argv: ['/no/such/program'], fast: true },
  { argv: [text], fast: true },
  { argv: ['/bin/ls', '--root', join(tmp, 'nowhere')], fast: true },
  { argv: ['/bin/prog', '-r', inherited, '--include', '/lib/*.so'], fast: true },
  { argv: ['/bin/prog', '--root', inherited, '--include', '/lib/libfoo.so', '-i', '/lib'], fast: true },
  { argv: [join(ldPath, 'bin/runpath'), '--library-path', join(ldPath, 'b'), '-f', 'list'], fast: true },
  { argv: ['/bin/ls', '--hwcaps', 'x86-64-v3,x86-64-v2', '--format', 'list'], fast: true },
  // Left to oclif:
  { argv: ['--include', '/lib/*.so', '/bin/prog', '--root', inherited], fast: false }, // oclif's greedy multiple
  { argv: ['/bin/ls', '--format', 'yaml'], fast: false },
  { argv: ['/bin/ls', '--json'], fast: false },
  { argv: ['/bin/ls', '--root', '/', '--root', '/'], fast: false },
  { argv: ['/bin/ls', '--no-such-flag'], fast: false },
  { argv: ['--help'], fast: false },
  { argv: ['--format', 'list'], fast: false },
  { argv: ['-flist', '/bin/ls'], fast: false },
  { argv: ['--', '/bin/ls'], fast: false },
];

function normalize(out: string): string {
  return out.replace(/"ms": \d+/g, '"ms": 0');
}

describe('resolve fast path', () => {
  it.each(rows)('$argv: taken = $fast', ({ argv, fast }) => {
    expect(fastParse(argv, RESOLVE_FLAGS) !== undefined).toBe(fast);
  });

  it.each(rows)('$argv: same output, errors and exit code as through oclif', async ({ argv }) => {
    const opts = { reject: false, cwd: tmp, stdin: 'ignore' } as const;
    const [fast, oclif] = await Promise.all([
      execa(BIN, ['resolve', ...argv], opts),
      execa(BIN, ['resolve', ...argv], { ...opts, env: { SCRATCHIFY_NO_FAST_PATH: '1' } }),
    ]);
    expect(normalize(fast.stdout)).toBe(normalize(oclif.stdout));
    expect(fast.stderr).toBe(oclif.stderr);
    expect(fast.exitCode).toBe(oclif.exitCode);
  });

  it('fills defaults and keeps repeated multiple flags in order', () => {
    expect(fastParse(['a', 'b', '-i', 'x', '--include=y'], RESOLVE_FLAGS)).toEqual({
      positionals: ['a', 'b'],
      flags: { root: '/', include: ['x', 'y'], format: 'tree', 'library-path': undefined, hwcaps: undefined },
    });
  });
});

describe("the fast path's V8 code cache", () => {
  const { loadCached } = createRequire(import.meta.url)(join(REPO, 'bin', 'code-cache.js'));
  const bundle = join(REPO, 'dist', 'resolve-fast.cjs');

  function copy(editSource: (s: string) => string, editCache: (b: Buffer) => Buffer): string {
    const dir = mkdtempSync(join(tmp, 'cache-'));
    const file = join(dir, 'resolve-fast.cjs');
    writeFileSync(file, editSource(readFileSync(bundle, 'utf8')));
    writeFileSync(`${file}.v8cache`, editCache(readFileSync(`${bundle}.v8cache`)));
    return file;
  }

  it('the build saves a cache that V8 accepts', () => {
    expect(loadCached(bundle).cacheUsed).toBe(true);
  });

  it('a cache made for other contents is not used, and the bundle still runs', () => {
    const file = copy(
      (s) => s.replace(/^\/\* build [0-9a-f]{8}/, '/* build 00000000'),
      (b) => b,
    );
    const loaded = loadCached(file);
    expect(loaded.cacheUsed).toBe(false);
    expect(typeof loaded.exports.run).toBe('function');
  });

  it('a damaged cache is rejected by V8, and the bundle still runs', () => {
    const file = copy(
      (s) => s,
      (b) => Buffer.concat([b.subarray(0, 64), Buffer.alloc(b.length - 64, 0x5a)]),
    );
    const loaded = loadCached(file);
    expect(loaded.cacheUsed).toBe(false);
    expect(typeof loaded.exports.run).toBe('function');
  });

  it('no cache at all: compiles', () => {
    const dir = mkdtempSync(join(tmp, 'nocache-'));
    copyFileSync(bundle, join(dir, 'resolve-fast.cjs'));
    expect(loadCached(join(dir, 'resolve-fast.cjs')).cacheUsed).toBe(false);
  });
});
