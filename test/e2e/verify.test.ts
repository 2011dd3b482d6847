import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, ensureImage, imagemagickBase, verifyBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;

interface Report {
  pass: boolean;
  added: { path: string; use: string }[];
  rounds: { smoke: string; pass: boolean; differences: string[]; missing: { path: string; fix: string }[] }[][];
}

/** scratchify verify with --json: its report and exit status. */
async function verify(args: string[], cwd?: string): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await execa(BIN, ['verify', ...args, '--json'], { reject: false, cwd, timeout: 600_000 });
  if (!r.stdout.startsWith('{')) throw new Error(`verify ${args.join(' ')} printed no report (exit ${r.exitCode}): ${r.stderr}`);
  return { code: r.exitCode ?? -1, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/**
 * Programs whose needs go past DT_NEEDED, in a base built from Debian packages that has no strace. Each fails
 * verify without the right flags, and verify names the file it lacks (`expect`); `--fix` (or `--trace`) then
 * makes every smoke command behave as in the base. The tracer is this machine's strace, brought into both
 * containers: nothing of the image runs on this machine. Those the program names in its own read-only data
 * (`compiledIn`) pass with no flag at all, and fail as before with --no-references.
 */
const CASES: { name: string; program: string; smoke: string; expect: RegExp; trace?: string; compiledIn?: boolean }[] = [
  {
    name: 'python3 with a stdlib module that reads tzdata (zoneinfo)',
    program: '/usr/bin/python3',
    smoke: `-c 'import zoneinfo, datetime; print(zoneinfo.ZoneInfo("Europe/Paris").utcoffset(datetime.datetime(2024, 7, 1)))'`,
    expect: /^\/usr\/share\/zoneinfo\/Europe\/Paris$/,
  },
  {
    name: "a PHP script that formats a date (Debian's PHP reads the system tzdata; without it, it crashes)",
    program: '/usr/bin/php8.2',
    smoke: `-r 'echo date("D, d M Y H:i", 86400 * 365), PHP_EOL;'`,
    expect: /^\/usr\/share\/zoneinfo(\/|$)/,
    compiledIn: true,
  },
  {
    name: 'gawk with @include, found on its compiled-in AWKPATH',
    program: '/usr/bin/gawk',
    smoke: `-e '@include "ord"; BEGIN { print ord("A"), chr(66) }'`,
    expect: /^\/usr\/share\/awk\/ord\.awk$/,
    compiledIn: true,
  },
  {
    name: 'tar -z, which execs gzip through the shell',
    program: '/usr/bin/tar',
    smoke: '-czvf /tmp/out.tgz -C /etc debian_version',
    expect: /^\/usr\/bin\/gzip$/,
  },
  {
    name: 'rsyslogd -f CONF, which loads its input modules by name from the config',
    program: '/usr/sbin/rsyslogd',
    smoke: '-N1 -f /etc/rsyslog.conf',
    expect: /\/rsyslog\/imuxsock\.so$/,
  },
  {
    name: "gdk-pixbuf's loader scan: lists its loaders directory and dlopens each (PASS with --trace)",
    program: '/usr/lib/x86_64-linux-gnu/gdk-pixbuf-2.0/gdk-pixbuf-query-loaders',
    smoke: '',
    expect: /loaders\/libpixbufloader-/,
    trace: '/usr/lib/x86_64-linux-gnu/gdk-pixbuf-2.0/gdk-pixbuf-query-loaders',
  },
  {
    name: 'openssl req, which reads its compiled-in openssl.cnf',
    program: '/usr/bin/openssl',
    smoke: 'req -new -newkey rsa:2048 -nodes -keyout /tmp/key.pem -subj /CN=verify -out /tmp/req.pem',
    expect: /^\/usr\/lib\/ssl\/openssl\.cnf$/,
    compiledIn: true,
  },
  {
    name: 'file, which reads its magic database',
    program: '/usr/bin/file',
    smoke: '--brief --mime-type /etc/debian_version',
    expect: /\/magic\.mgc$/,
    compiledIn: true,
  },
];

describe.runIf(run)('verify: the scratch image behaves as the base, in a base without strace', () => {
  let base: string;
  beforeAll(async () => {
    base = (await verifyBase()).ref;
    const strace = await execa(DOCKER, ['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', base, '-c', 'command -v strace'], {
      reject: false,
    });
    expect(strace.exitCode, 'the verify base must not have strace').not.toBe(0);
  }, 900_000);

  for (const c of CASES) {
    it(c.name, async () => {
      const off = c.compiledIn ? ['--no-references'] : [];
      if (c.compiledIn) {
        const plain = await verify([c.program, '--base', base, `--smoke=${c.smoke}`]);
        expect(plain.code, JSON.stringify(plain.report.rounds?.at(-1), null, 1)).toBe(0);
      }
      const before = await verify([c.program, '--base', base, `--smoke=${c.smoke}`, ...off]);
      expect(before.code, before.stderr).toBe(EXIT_CODES.MISMATCH);
      const missing = before.report.rounds[0][0].missing.map((m) => m.path);
      expect(
        missing.some((p) => c.expect.test(p)),
        missing.join('\n'),
      ).toBe(true);

      const dir = mkdtempSync(join(tmpdir(), 'scratchify-verify-'));
      const fixed = c.trace
        ? await verify([c.program, '--base', base, `--smoke=${c.smoke}`, '--trace', c.trace, '-o', 'Dockerfile'], dir)
        : await verify([c.program, '--base', base, `--smoke=${c.smoke}`, ...off, '--fix', '-o', 'Dockerfile'], dir);
      expect(fixed.code, JSON.stringify(fixed.report.rounds.at(-1), null, 1)).toBe(0);
      expect(fixed.report.pass).toBe(true);
      if (!c.trace) expect(fixed.report.added.some((a) => c.expect.test(a.path))).toBe(true);
      expect(existsSync(join(dir, 'Dockerfile.scaffold.tar'))).toBe(true);
      expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/^FROM scratch$/m);
    }, 600_000);
  }

  it("bash names /etc/hosts, which Docker's export holds (an empty placeholder) but the image lacks: not copied, and the build works", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-verify-'));
    const r = await verify(['/usr/bin/bash', '--base', base, "--smoke=-c 'echo $BASH_VERSION'", '-o', 'Dockerfile'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).not.toMatch(/\/etc\/(hosts|hostname|resolv\.conf)\b/);
  }, 300_000);

  it('interpreters get their standard library without flags: python, perl, ruby, tcl', async () => {
    const smokes: [string, string][] = [
      ['/usr/bin/python3', `-c 'import encodings, json, ssl, sqlite3; print(json.dumps([sqlite3.sqlite_version, ssl.OPENSSL_VERSION]))'`],
      ['/usr/bin/perl', `-MPOSIX -MJSON::PP -MFile::Temp -e 'print encode_json([POSIX::floor(2.5)]), "\\n"'`],
      ['/usr/bin/ruby', `-rjson -rset -e 'puts JSON.generate(Set[1, 2].to_a)'`],
      ['/usr/bin/tclsh8.6', '/dev/null'],
    ];
    for (const [program, smoke] of smokes) {
      const r = await verify([program, '--base', base, `--smoke=${smoke}`]);
      expect([program, r.code, r.report.rounds[0][0].differences]).toEqual([program, 0, []]);
    }
  }, 600_000);

  it('-f verifies a Dockerfile as it is: the generated one fails, the one --fix wrote passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-verify-f-'));
    const smoke = '--smoke=-czvf /tmp/out.tgz -C /etc debian_version';
    await execa(BIN, ['/usr/bin/tar', '--base', base, '-o', join(dir, 'Dockerfile')]);
    expect((await verify(['/usr/bin/tar', '--base', base, '-f', join(dir, 'Dockerfile'), smoke])).code).toBe(EXIT_CODES.MISMATCH);
    expect((await verify(['/usr/bin/tar', '--base', base, smoke, '--fix', '-o', 'Dockerfile'], dir)).code).toBe(0);
    const again = await verify(['/usr/bin/tar', '--base', base, '-f', join(dir, 'Dockerfile'), smoke]);
    expect([again.code, again.report.pass]).toEqual([0, true]);
  }, 600_000);

  it('with Podman too: tar --fix passes', async () => {
    const { tarball } = await verifyBase();
    await ensureImage('podman', base, tarball);
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-verify-podman-'));
    const r = await verify(
      [
        '/usr/bin/tar',
        '--engine',
        'podman',
        '--base',
        base,
        '--smoke=-czvf /tmp/out.tgz -C /etc debian_version',
        '--fix',
        '-o',
        'Dockerfile',
      ],
      dir,
    );
    expect(r.code, JSON.stringify(r.report)).toBe(0);
    expect(r.report.added.map((a) => a.path)).toContain('/usr/bin/gzip');
  }, 600_000);

  it('bad input: a smoke command that fails in the base, a trace of a program that is not there, a trace past its time limit, Ctrl-C', async () => {
    const fails = await execa(BIN, ['verify', '/usr/bin/tar', '--base', base, '--smoke=--no-such-option'], { reject: false });
    expect(fails.exitCode).toBe(EXIT_CODES.NOTHING_TO_COMPARE);
    expect(fails.stderr).toMatch(/fails in the base too .*nothing to compare/);
    // One line and its hint, after the progress lines; no stack trace.
    expect(fails.stderr.split('\n').filter((l) => l && !/^scratchify: (building|tracing)/.test(l))).toHaveLength(2);

    const absent = await execa(
      BIN,
      ['/usr/bin/tar', '--base', base, '--trace', '/usr/bin/no-such-program', '-o', join(mkdtempSync(join(tmpdir(), 'sv-')), 'Dockerfile')],
      { reject: false },
    );
    expect(absent.exitCode, absent.stderr).toBe(EXIT_CODES.INPUT_NOT_FOUND);
    expect(absent.stderr).toMatch(/no-such-program/);

    const out = join(mkdtempSync(join(tmpdir(), 'sv-')), 'Dockerfile');
    const slow = await execa(
      BIN,
      ['/usr/bin/sleep', '--base', base, '--trace', '/usr/bin/sleep 30', '--trace-timeout', '3', '-o', out, '--json'],
      { reject: false },
    );
    expect(slow.exitCode, slow.stderr).toBe(0);
    expect(JSON.parse(slow.stdout).warnings.join('\n')).toMatch(/ran past 3 s and was stopped/);
    // Ctrl-C while the image builds: the terminal signals the whole process group, as here.
    const child = execa(BIN, ['verify', '/usr/bin/python3', '--base', base, '--smoke=-c pass'], { detached: true, reject: false });
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (d: Buffer) => /building the scratch image/.test(String(d)) && resolve()),
    );
    process.kill(-child.pid!, 'SIGINT');
    const interrupted = await child;
    expect(interrupted.exitCode, interrupted.stderr).toBe(130);
    // Nothing left behind: no verify images, no trace or run containers.
    const images = await execa(DOCKER, ['images', '--format', '{{.Repository}}']);
    expect(images.stdout).not.toMatch(/scratchify-verify/);
    const containers = await execa(DOCKER, ['ps', '-a', '--format', '{{.Names}}']);
    expect(containers.stdout).not.toMatch(/scratchify-(trace|run)-/);
  }, 600_000);
});

describe.runIf(run)('--fix adds what the run used, as precisely as --trace', () => {
  it("convert's coders: the --fix image is within 10% of the --trace image, far below the base", async () => {
    const base = await imagemagickBase();
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-fix-size-'));
    const smoke = 'rose: -resize 50% /tmp/out.png';
    const fixed = await verify(['/usr/bin/convert', '--base', base, `--smoke=${smoke}`, '--fix', '-o', 'Dfix'], dir);
    expect(fixed.code, fixed.stderr).toBe(0);
    // Only the coders the run loaded, never the library directory whole.
    expect(fixed.report.added.map((a) => a.path)).not.toContain('/usr/lib/x86_64-linux-gnu');
    const traced = await execa(
      BIN,
      ['/usr/bin/convert', '--base', base, '--trace', `/usr/bin/convert ${smoke}`, '-o', join(dir, 'Dtrace')],
      { reject: false },
    );
    expect(traced.exitCode, traced.stderr).toBe(0);
    const size = async (name: string) => {
      await dockerBuild(dir, `scratchify-test/fix-size:${name.toLowerCase()}`, name);
      return Number(
        (await execa(DOCKER, ['image', 'inspect', '--format', '{{.Size}}', `scratchify-test/fix-size:${name.toLowerCase()}`])).stdout,
      );
    };
    const [fix, trace, whole] = [
      await size('Dfix'),
      await size('Dtrace'),
      Number((await execa(DOCKER, ['image', 'inspect', '--format', '{{.Size}}', base])).stdout),
    ];
    expect(fix).toBeLessThanOrEqual(trace * 1.1);
    expect(fix).toBeLessThan(whole / 2);
  }, 600_000);
});
