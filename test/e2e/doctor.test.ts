import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeScaffoldTar } from '../../src/generate/scaffold-tar.js';
import { BIN, FIXTURES } from '../helpers/paths.js';
import { DOCKER, IN_CI, bullseyeBase, dockerAnswers, dockerBuild, nginxBase, runImage } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/** Builds an image from a Dockerfile text and files copied into a fresh context. */
async function build(tag: string, dockerfile: string, files: Record<string, string> = {}): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'scratchify-doctor-ctx-'));
  for (const [name, src] of Object.entries(files)) cpSync(src, join(ctx, name), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  await dockerBuild(ctx, tag);
  rmSync(ctx, { recursive: true, force: true });
}

interface DoctorReport {
  starts: boolean;
  problems: { kind: string; name: string; message: string; fix?: { lines: string[]; note?: string } }[];
  log: { explanation: string; problem?: unknown }[];
  fixCommand?: string;
}

async function doctor(binary: string, image: string, base?: string, log?: string): Promise<{ code: number; report: DoctorReport }> {
  const args = [
    'doctor',
    binary,
    '--image',
    image,
    '--json',
    ...(base ? ['--base', base] : []),
    ...(log !== undefined ? ['--log', '-'] : []),
  ];
  const r = await execa(BIN, args, { reject: false, input: log });
  return { code: r.exitCode ?? -1, report: JSON.parse(r.stdout) };
}

/**
 * One broken image: run it and see the loader's own failure, check doctor predicted that failure, explains
 * the log, and that the COPY lines it prints (from `fixBase`) make the image start.
 */
async function scenario(opts: {
  broken: string;
  binary: string;
  fixBase: string;
  kind: string;
  name: string;
  loaderSays: RegExp;
  works: RegExp;
}) {
  const failed = await runImage(opts.broken);
  expect(failed.code).not.toBe(0);
  expect(failed.output).toMatch(opts.loaderSays);

  const before = await doctor(opts.binary, opts.broken, opts.fixBase, failed.output);
  expect(before.code).toBe(1);
  expect(before.report.starts).toBe(false);
  const problem = before.report.problems.find((p) => p.kind === opts.kind && p.name === opts.name);
  expect(problem, JSON.stringify(before.report.problems)).toBeDefined();
  expect(before.report.log.length).toBeGreaterThan(0);
  expect(before.report.log[0].problem).toBeDefined();

  // The command doctor prints is run as printed, by a shell, as a user pastes it.
  expect(before.report.fixCommand).toContain(`-t ${opts.broken}-fixed -`);
  await execa('sh', ['-c', before.report.fixCommand!]);
  const fixed = `${opts.broken}-fixed`;
  const after = await runImage(fixed);
  expect(after.output).toMatch(opts.works);
  expect(after.code).toBe(0);
  const again = await doctor(opts.binary, fixed);
  expect(again.report.problems.filter((p) => (p as { fatal?: boolean }).fatal)).toEqual([]);
  expect(again.code).toBe(0);
}

describe.runIf(run)('doctor predicts what the loader says, and its fix makes the image start', () => {
  let bookworm: string;
  let bullseye: string;
  beforeAll(async () => {
    bookworm = (await nginxBase()).ref;
    bullseye = (await bullseyeBase()).ref;
  }, 900_000);

  it('a library deleted from a scratch image', async () => {
    const full = 'scratchify-test/doctor-app:full';
    await build(full, `FROM ${bookworm}\nCOPY app /app\n`, { app: join(FIXTURES, 'rpath_is_inherited') });
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-doctor-gen-'));
    await execa(BIN, ['/app/bin/prog', '--base', full, '-o', join(ctx, 'Dockerfile')]);
    const text = readFileSync(join(ctx, 'Dockerfile'), 'utf8');
    expect(text).toContain('/app/lib/libbar.so');
    writeFileSync(join(ctx, 'Dockerfile'), text.replace(' /app/lib/libbar.so', ''));
    await dockerBuild(ctx, 'scratchify-test/doctor-nolib:e2e');
    await scenario({
      broken: 'scratchify-test/doctor-nolib:e2e',
      binary: '/app/bin/prog',
      fixBase: full,
      kind: 'not-found',
      name: 'libbar.so',
      loaderSays: /libbar\.so: cannot open shared object file/,
      works: /ok 42/,
    });
  });

  it('a binary built against a newer glibc on an older base (bullseye, glibc 2.31)', async () => {
    await build('scratchify-test/doctor-oldglibc:e2e', `FROM ${bullseye}\nCOPY hello /app/hello\nENTRYPOINT ["/app/hello"]\n`, {
      hello: join(FIXTURES, 'hello/hello'),
    });
    const { report } = await doctor('/app/hello', 'scratchify-test/doctor-oldglibc:e2e');
    expect(report.problems.find((p) => p.kind === 'version')?.message).toMatch(
      /version `GLIBC_2.34' not found \(required by \/app\/hello\); it provides up to GLIBC_2.3\d/,
    );
    await scenario({
      broken: 'scratchify-test/doctor-oldglibc:e2e',
      binary: '/app/hello',
      fixBase: bookworm,
      kind: 'version',
      name: 'GLIBC_2.34',
      loaderSays: /version `GLIBC_2.34' not found/,
      works: /hello from uid 0/,
    });
  });

  it('a 32-bit library earlier in the search path, and no 64-bit one', async () => {
    const fx = join(FIXTURES, 'wrong_class_is_skipped');
    await build('scratchify-test/doctor-class-full:e2e', `FROM ${bookworm}\nCOPY app /app\n`, { app: fx });
    await build(
      'scratchify-test/doctor-class:e2e',
      `FROM ${bookworm}\nCOPY bin /app/bin\nCOPY lib32 /app/lib32\nCOPY libfoo.so /app/lib64/\nENTRYPOINT ["/app/bin/prog"]\n`,
      {
        bin: join(fx, 'bin'),
        lib32: join(fx, 'lib32'),
        'libfoo.so': join(fx, 'lib64/libfoo.so'),
      },
    );
    await scenario({
      broken: 'scratchify-test/doctor-class:e2e',
      binary: '/app/bin/prog',
      fixBase: 'scratchify-test/doctor-class-full:e2e',
      kind: 'wrong-class',
      name: 'libbar.so',
      loaderSays: /libbar\.so: wrong ELF class: ELFCLASS32/,
      works: /ok 42/,
    });
  });

  it('a missing interpreter', async () => {
    await build('scratchify-test/doctor-hello-full:e2e', `FROM ${bookworm}\nCOPY hello /app/hello\n`, {
      hello: join(FIXTURES, 'hello/hello'),
    });
    await build('scratchify-test/doctor-nointerp:e2e', 'FROM scratch\nCOPY hello /app/hello\nENTRYPOINT ["/app/hello"]\n', {
      hello: join(FIXTURES, 'hello/hello'),
    });
    await scenario({
      broken: 'scratchify-test/doctor-nointerp:e2e',
      binary: '/app/hello',
      fixBase: 'scratchify-test/doctor-hello-full:e2e',
      kind: 'interpreter-missing',
      name: '/lib64/ld-linux-x86-64.so.2',
      loaderSays: /no such file or directory/,
      works: /hello from uid 0/,
    });
  });

  it('a musl binary on a glibc base', async () => {
    // A musl base made from this machine's Debian musl package: its loader is libc.so itself.
    const musl = readFileSync('/usr/lib/x86_64-linux-musl/libc.so');
    const hello = readFileSync(join(FIXTURES, 'hello/hello-musl'));
    const tar = writeScaffoldTar([
      { type: 'dir', path: '/lib', mode: 0o755, uid: 0, gid: 0 },
      { type: 'dir', path: '/lib/x86_64-linux-musl', mode: 0o755, uid: 0, gid: 0 },
      { type: 'file', path: '/lib/x86_64-linux-musl/libc.so', mode: 0o755, uid: 0, gid: 0, content: musl },
      { type: 'symlink', path: '/lib/ld-musl-x86_64.so.1', target: 'x86_64-linux-musl/libc.so' },
      { type: 'dir', path: '/app', mode: 0o755, uid: 0, gid: 0 },
      { type: 'file', path: '/app/hello', mode: 0o755, uid: 0, gid: 0, content: hello },
    ]);
    const tarPath = join(mkdtempSync(join(tmpdir(), 'scratchify-musl-')), 'musl.tar');
    writeFileSync(tarPath, tar);
    await execa(DOCKER, ['import', tarPath, 'scratchify-test/doctor-musl-base:e2e']);
    await build('scratchify-test/doctor-musl:e2e', `FROM ${bookworm}\nCOPY hello /app/hello\nENTRYPOINT ["/app/hello"]\n`, {
      hello: join(FIXTURES, 'hello/hello-musl'),
    });
    await scenario({
      broken: 'scratchify-test/doctor-musl:e2e',
      binary: '/app/hello',
      fixBase: 'scratchify-test/doctor-musl-base:e2e',
      kind: 'libc-mismatch',
      name: '/lib/ld-musl-x86_64.so.1',
      loaderSays: /no such file or directory/,
      works: /hello from uid 0/,
    });
  });
});
