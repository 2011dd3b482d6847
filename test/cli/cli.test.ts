import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { BIN, FIXTURES } from '../helpers/paths.js';
import { printedCommand, runPrinted } from '../helpers/hints.js';

const tmp = mkdtempSync(join(tmpdir(), 'scratchify-cli-'));
const cli = (...args: string[]) => execa(BIN, args, { reject: false, cwd: tmp });

function oneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(lines.length).toBeLessThanOrEqual(2); // the message, and a hint
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
}

describe('bad input: one clear line, a distinct exit code', () => {
  it('--expose takes ports and ranges as Docker does, and refuses anything else before any work', async () => {
    const good = await cli(
      '/bin/ls',
      '-o',
      '-',
      '--expose',
      '80',
      '--expose',
      '8080/tcp',
      '--expose',
      '53/udp',
      '--expose',
      '8000-8010',
      '--expose',
      '9/sctp',
    );
    expect(good.exitCode, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^EXPOSE 80\nEXPOSE 8080\/tcp\nEXPOSE 53\/udp\nEXPOSE 8000-8010\nEXPOSE 9\/sctp\n/m);
    for (const bad of ['0', '65536', '80/http', '9000-8000', 'http', '80:80', '-1', '80-', '']) {
      // An image that does not exist: a usage error first shows the value was checked before the engine was asked.
      const r = await cli('/bin/ls', '--base', 'scratchify-test/no-such-image:1', `--expose=${bad}`);
      expect(r.exitCode, bad).toBe(EXIT_CODES.USAGE);
      oneLineError(r.stderr, new RegExp(`^scratchify: --expose ${bad.replace(/[-/]/g, '\\$&')}: not a port or port range`));
    }
  });

  it('a binary that is not in the root', async () => {
    const r = await cli('resolve', '/no/such/program');
    expect(r.exitCode).toBe(EXIT_CODES.INPUT_NOT_FOUND);
    oneLineError(r.stderr, /^scratchify: \/no\/such\/program: not found in the host root/);
  });

  it('a file that is not ELF, and a script (its interpreter named)', async () => {
    const txt = join(tmp, 'notes.txt');
    writeFileSync(txt, 'plain text');
    const r = await cli('resolve', txt);
    expect(r.exitCode).toBe(EXIT_CODES.BAD_ELF);
    oneLineError(r.stderr, /not an ELF file \(no ELF magic\)/);
    const sh = join(tmp, 'start.sh');
    writeFileSync(sh, '#!/bin/sh\nexec app\n');
    const s = await cli('resolve', sh);
    expect(s.exitCode).toBe(EXIT_CODES.BAD_ELF);
    oneLineError(s.stderr, /a script for \/bin\/sh, not an ELF binary/);
  });

  it('generate follows a script to its interpreter and copies both', async () => {
    const sh = join(tmp, 'entry.sh');
    writeFileSync(sh, '#!/bin/sh -e\necho hi\n');
    // --root / names this machine's root as a base whose files COPY takes (without it, the archive carries them).
    const r = await cli(sh, '--root', '/');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`${sh} is a script for /bin/sh -e: resolving /bin/sh`);
    expect(r.stdout).toContain(`COPY --from=base ${sh} ${tmp}/`);
    expect(r.stdout).toMatch(/COPY --from=base \/usr\/bin\/dash \/usr\/bin\//);
    expect(r.stdout).toContain(`ENTRYPOINT ["${sh}"]`);
  });

  it('a --root that does not exist', async () => {
    const r = await cli('resolve', '/bin/ls', '--root', join(tmp, 'nowhere'));
    expect(r.exitCode).toBe(EXIT_CODES.ROOT_UNREADABLE);
    oneLineError(r.stderr, /--root .*nowhere: no such directory/);
  });

  it('a truncated ELF file names the offset', async () => {
    const { readFileSync } = await import('node:fs');
    const cut = join(tmp, 'cut.so');
    writeFileSync(cut, readFileSync('/bin/ls').subarray(0, 300));
    const r = await cli('resolve', cut);
    expect(r.exitCode).toBe(EXIT_CODES.BAD_ELF);
    oneLineError(r.stderr, /truncated: .* \(at byte offset \d+\)/);
  });

  it('--json errors are JSON', async () => {
    const r = await cli('resolve', '/no/such/program', '--json');
    expect(r.exitCode).toBe(EXIT_CODES.INPUT_NOT_FOUND);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'INPUT_NOT_FOUND', exitCode: 3 });
  });

  it('a library that cannot be found: resolve says where it looked; generate writes nothing', async () => {
    const prog = join(FIXTURES, 'runpath_is_not_inherited/bin/prog');
    const r = await cli('resolve', prog);
    expect(r.exitCode).toBe(EXIT_CODES.UNRESOLVED);
    expect(r.stdout).toMatch(/libbar\.so not found\n.*tried \/lib\/x86_64-linux-gnu\/libbar\.so: missing/);
    const out = join(tmp, 'gen');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    const g = await cli(prog, '-o', join(out, 'Dockerfile'));
    expect(g.exitCode).toBe(EXIT_CODES.UNRESOLVED);
    oneLineError(g.stderr, /not found in the host root \/: libbar\.so \(needed by .*libfoo\.so\)/);
    expect(readdirSync(out)).toEqual([]);
    // The hint runs as printed and shows the rule that gave each path tried.
    const hint = await runPrinted(printedCommand(g.stderr, 'and a fix: '));
    expect(hint.exitCode).toBe(EXIT_CODES.UNRESOLVED);
    expect(hint.all).toMatch(/tried \/lib\/x86_64-linux-gnu\/libbar\.so: missing \(the loader's default directories\)/);
  });

  it('-o in a directory that does not exist: the error names the Dockerfile asked for, not its archive', async () => {
    const r = await cli('/bin/ls', '-o', 'out/spdx/Dockerfile');
    expect(r.exitCode).toBe(EXIT_CODES.OUTPUT_FAILED);
    oneLineError(r.stderr, /^scratchify: cannot write \S+\/out\/spdx\/Dockerfile: \S+ does not exist$/);
  });

  it('-o - writes the Dockerfile to stdout, not to a file named -', async () => {
    const r = await cli('/bin/ls', '-o', '-');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('FROM scratch');
    expect(existsSync(join(tmp, '-'))).toBe(false);
    // This machine's own root: the archive beside it carries the whole minimal root.
    expect(existsSync(join(tmp, 'scratchify.rootfs.tar'))).toBe(true);
    expect(r.stdout).toMatch(/^ADD scratchify\.rootfs\.tar \/$/m);
  });

  it('an output directory that does not exist: exit 10, nothing left behind', async () => {
    const r = await cli('/bin/ls', '-o', join(tmp, 'missing-dir', 'Dockerfile'));
    expect(r.exitCode).toBe(EXIT_CODES.OUTPUT_FAILED);
    oneLineError(r.stderr, /cannot write .*missing-dir/);
    expect(existsSync(join(tmp, 'missing-dir'))).toBe(false);
  });

  it('an unknown flag is a usage error', async () => {
    const r = await cli('resolve', '/bin/ls', '--no-such-flag');
    expect(r.exitCode).toBe(EXIT_CODES.USAGE);
  });
});
