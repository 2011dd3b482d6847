import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, ScratchifyError } from '../../src/errors.js';
import { writeScaffoldTar } from '../../src/generate/scaffold-tar.js';
import { BIN, FIXTURES } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'scratchify-contract-'));
const cli = (args: string[], cwd = tmp) => execa(BIN, args, { reject: false, cwd, env: { SCRATCHIFY_CACHE: join(tmp, 'cache') } });

/** The error contract: one line and a hint at most, no stack trace, no oclif banner. */
function oneLine(stderr: string): void {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('scratchify: warning:'));
  expect(lines.length, stderr).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(/^scratchify: /);
  if (lines[1]) expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(stderr).not.toMatch(/^\s+at |Error: |›/m);
}

describe('the CLI error contract: exact exit code, one line, nothing left behind', () => {
  it('-o naming an existing directory: exit 10, nothing written beside it', async () => {
    const d = mkdtempSync(join(tmp, 'o-dir-'));
    mkdirSync(join(d, 'out'));
    const r = await cli(['/bin/ls', '-o', join(d, 'out')]);
    expect(r.exitCode).toBe(EXIT_CODES.OUTPUT_FAILED);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/cannot write .*\/out: it is a directory/);
    expect(readdirSync(d)).toEqual(['out']);
  });

  it('-o into a directory that does not exist is refused before the image is asked for', async () => {
    // The image does not exist either: exit 10, not 7, shows the outputs were checked first.
    const r = await cli(['/usr/sbin/nginx', '--base', 'scratchify-test/no-such-image:1', '-o', join(tmp, 'nowhere', 'Dockerfile')]);
    expect(r.exitCode).toBe(EXIT_CODES.OUTPUT_FAILED);
    oneLine(r.stderr);
  });

  it('a failing write leaves the previous outputs in place (all or nothing)', async () => {
    const d = mkdtempSync(join(tmp, 'aon-'));
    writeFileSync(join(d, 'Dockerfile'), 'old');
    mkdirSync(join(d, 'sbom.json'));
    const r = await cli(['/bin/ls', '-o', join(d, 'Dockerfile'), '--sbom', join(d, 'sbom.json')]);
    expect(r.exitCode).toBe(EXIT_CODES.OUTPUT_FAILED);
    expect(readdirSync(d).sort()).toEqual(['Dockerfile', 'sbom.json']);
  });

  for (const [what, args, code] of [
    ['an unknown flag on the default form', ['/usr/bin/env', '--frobnicate'], EXIT_CODES.USAGE],
    ['an unknown flag on resolve', ['resolve', '/usr/bin/env', '--frobnicate'], EXIT_CODES.USAGE],
    ['a missing argument', ['why'], EXIT_CODES.USAGE],
    ['why with a program that is not there', ['why', 'libc.so.6', '/usr/bin/nginx-not-here'], EXIT_CODES.INPUT_NOT_FOUND],
    ['an image reference no engine could parse', ['/bin/ls', '--base', 'NotAValid//Name'], EXIT_CODES.USAGE],
    ['an empty --user', ['/bin/ls', '-u', ''], EXIT_CODES.USAGE],
    ['both forms of a --[no-] flag', ['/bin/ls', '--ca-certs', '--no-ca-certs'], EXIT_CODES.USAGE],
    ['why with both --base and --root', ['why', 'libc.so.6', '/bin/ls', '--base', 'x', '--root', '/'], EXIT_CODES.USAGE],
    ['help for a command that does not exist', ['help', 'nosuch'], EXIT_CODES.USAGE],
    ['a cache size that is not a size', ['cache', 'prune', '--max-size', 'lots'], EXIT_CODES.USAGE],
  ] as const) {
    it(`${what}: exit ${code}, one line`, async () => {
      const r = await cli([...args]);
      expect(r.exitCode, r.stderr).toBe(code);
      oneLine(r.stderr);
      expect(r.stdout).toBe('');
    });
  }

  it('under --json an argument error is the documented object, with the usage exit code', async () => {
    for (const args of [
      ['resolve', '--json'],
      ['--json', '/bin/ls', '--frobnicate'],
      ['why', '--json'],
    ]) {
      const r = await cli(args);
      expect(r.exitCode).toBe(EXIT_CODES.USAGE);
      expect(JSON.parse(r.stdout)).toEqual({
        error: expect.objectContaining({ code: 'USAGE', exitCode: 2, message: expect.any(String), hint: expect.any(String) }),
      });
    }
  });

  it('--json without -o writes no file, and carries the archive its Dockerfile ADDs', async () => {
    const d = mkdtempSync(join(tmp, 'json-'));
    const r = await cli(['/bin/ls', '--json'], d);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.scaffold).toBeNull();
    expect(readdirSync(d)).toEqual([]);
    const { name, base64 } = report.scaffoldArchive;
    expect(report.dockerfileText).toContain(`ADD ${name} /`);
    const archive = Buffer.from(base64, 'base64');
    // A tar whose members are the root the Dockerfile builds: /bin/ls among them.
    const listed = execFileSync('tar', ['-t'], { input: archive }).toString();
    expect(listed).toMatch(/^(\.\/)?(usr\/)?bin\/ls$/m);
  });

  it('a path past ustar is archived with a PAX header that tar reads back; one past PATH_MAX is a usage error, not a RangeError', () => {
    const long = `/${'d'.repeat(200)}/${'f'.repeat(120)}`;
    const target = `/${'t'.repeat(150)}`;
    const archive = writeScaffoldTar([
      { type: 'dir', path: long, mode: 0o755, uid: 0, gid: 0 },
      { type: 'symlink', path: `${long}/link`, target },
    ]);
    const listed = execFileSync('tar', ['-tv'], { input: archive }).toString();
    expect(listed).toContain(`${long.slice(1)}/link -> ${target}`);
    expect(listed).toMatch(new RegExp(`^drwxr-xr-x .* ${long.slice(1)}/$`, 'm'));
    const tooLong = `/${'d'.repeat(5000)}`;
    expect(() => writeScaffoldTar([{ type: 'dir', path: tooLong, mode: 0o755, uid: 0, gid: 0 }])).toThrow(ScratchifyError);
  });

  it('generated bad argument vectors keep the contract', async () => {
    // Any token may land after -o or --sbom, so every path here is one the test owns: the program is a copy
    // of the hello fixture in the temporary directory (a vector once wrote its Dockerfile over /bin/ls).
    const prog = join(tmp, 'prog', 'hello');
    mkdirSync(dirname(prog), { recursive: true });
    copyFileSync(join(FIXTURES, 'hello/hello'), prog);
    const tokens = [
      prog,
      join(tmp, 'no', 'such'),
      'resolve',
      'why',
      'doctor',
      'cache',
      'libc.so.6',
      '--root',
      '/',
      join(tmp, 'nope'),
      '-o',
      join(tmp, 'x', 'y'),
      '--expose',
      '99999',
      '-u',
      '',
      '--include',
      '/no/*.so',
      '--format',
      'yaml',
      '--engine',
      'lxc',
      '--base',
      'Bad Ref',
      '--json',
      '--',
      '-x',
      '--tz',
      '--sbom-format',
      'xml',
      '--max-size',
      '-1',
      '--sbom',
    ];
    const documented = new Set<number>([0, ...Object.values(EXIT_CODES)]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 6 }), async (args) => {
        const r = await cli(args);
        expect(documented.has(r.exitCode!), `${JSON.stringify(args)} exited ${r.exitCode}: ${r.stderr}`).toBe(true);
        expect(r.stderr, JSON.stringify(args)).not.toMatch(/^\s+at |^Error: |›/m);
        if (
          r.exitCode !== 0 &&
          r.exitCode !== EXIT_CODES.UNRESOLVED &&
          args.includes('--json') &&
          !args.slice(0, args.indexOf('--json')).includes('--')
        ) {
          expect(JSON.parse(r.stdout).error.code, JSON.stringify(args)).toMatch(/^[A-Z_]+$/);
        }
        expect(existsSync(join(tmp, 'x'))).toBe(false);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('help', () => {
  it('-h, --help, help and no arguments print the top-level help, the default form first', async () => {
    for (const args of [['-h'], ['--help'], ['help'], []]) {
      const r = await cli(args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^USAGE\n {2}\$ scratchify BINARY \[--base IMAGE \| --root DIR\]/m);
      expect(r.stdout.match(/^ {2}\$ scratchify /gm)!.length).toBeGreaterThanOrEqual(5);
      expect(r.stdout).toMatch(/^ {2}cache prune /m);
    }
  });

  it('help COMMAND and COMMAND -h: required arguments shown as required, no [default: ] on repeatable flags, --json explained', async () => {
    for (const args of [
      ['help', 'generate'],
      ['generate', '-h'],
      ['why', '-h'],
    ]) {
      const r = await cli(args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^ {2}\$ scratchify (generate BINARY|why LIB)/m);
      expect(r.stdout).not.toContain('[default: ]');
      expect(r.stdout).toMatch(/--json +print the result, or the error, as one JSON object/);
    }
  });
});
