import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES } from '../helpers/paths.js';
import { printedCommand, runPrinted } from '../helpers/hints.js';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, nginxBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;
const made: string[] = [];

interface Report {
  starts: boolean;
  problems: {
    kind: string;
    name: string;
    tried: { path: string; why: string; rules: string[] }[];
    found?: { candidates: { path: string; by: string }[]; libraryPath?: string; runpath?: { was: string; now: string } };
  }[];
  fixCommand?: string;
}

async function doctor(binary: string, image: string): Promise<{ code: number; report: Report; text: string }> {
  const json = await execa(BIN, ['doctor', binary, '--image', image, '--json'], { reject: false });
  const text = await execa(BIN, ['doctor', binary, '--image', image], { reject: false });
  return { code: json.exitCode ?? -1, report: JSON.parse(json.stdout), text: text.stdout };
}

/** An image of the nginx base with the greeter fixture's files put where the Dockerfile's lines say. */
async function broken(tag: string, lines: string): Promise<string> {
  const ctx = mkdtempSync(join(tmpdir(), 'scratchify-doctor-in-'));
  cpSync(join(FIXTURES, 'greeter'), join(ctx, 'greeter'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${(await nginxBase()).ref}\n${lines}\n`);
  const ref = `scratchify-test/doctor-in-${tag}:e2e`;
  await dockerBuild(ctx, ref);
  rmSync(ctx, { recursive: true, force: true });
  made.push(ref, `${ref}-fixed`);
  return ref;
}

/**
 * The image fails as the loader says; doctor names each tried path's rule and the file the image holds
 * elsewhere; the one command it prints, run by a shell as pasted, builds an image in which the program runs.
 */
async function scenario(image: string, argv: string[], loaderSays: RegExp, works: RegExp): Promise<Report> {
  const before = await execa(DOCKER, ['run', '--rm', '--network', 'none', '--entrypoint', argv[0], image, ...argv.slice(1)], {
    reject: false,
    all: true,
  });
  expect(before.exitCode).not.toBe(0);
  expect(before.all).toMatch(loaderSays);
  const { code, report, text } = await doctor(argv[0], image);
  expect(code).toBe(1);
  expect(text).toContain('fix it with: ');
  expect(report.fixCommand).toBeDefined();
  await execa('sh', ['-c', report.fixCommand!]);
  const after = await execa(DOCKER, ['run', '--rm', '--network', 'none', '--entrypoint', argv[0], `${image}-fixed`, ...argv.slice(1)], {
    reject: false,
    all: true,
  });
  expect(after.all).toMatch(works);
  expect(after.exitCode).toBe(0);
  expect((await doctor(argv[0], `${image}-fixed`)).code).toBe(0);
  return report;
}

describe.runIf(run)('doctor finds what the image holds elsewhere, and the fix it prints works as printed', () => {
  beforeAll(async () => {
    await nginxBase();
  }, 900_000);
  afterAll(async () => {
    await execa(DOCKER, ['rmi', '-f', ...made], { reject: false });
  });

  it('a wrong RUNPATH: the library is in lib64, the RUNPATH says lib', async () => {
    const image = await broken('runpath', 'COPY greeter/bin /opt/greeter/bin\nCOPY greeter/lib /opt/greeter/lib64');
    const report = await scenario(image, ['/opt/greeter/bin/greeter'], /libgreet\.so\.1: cannot open shared object file/, /ok 42/);
    const p = report.problems.find((x) => x.name === 'libgreet.so.1')!;
    expect(p.tried[0]).toMatchObject({ path: '/opt/greeter/bin/../lib/libgreet.so.1', why: 'missing' });
    expect(p.tried[0].rules).toEqual(['DT_RUNPATH $ORIGIN/../lib of /opt/greeter/bin/greeter']);
    expect(p.found?.candidates[0]).toEqual({ path: '/opt/greeter/lib64/libgreet.so.1', by: 'name' });
    expect(p.found?.libraryPath).toBe('/opt/greeter/lib64');
    expect(p.found?.runpath).toMatchObject({ was: '$ORIGIN/../lib', now: '$ORIGIN/../lib64' });
  });

  it("a library moved out of the loader's directories: ld.so.cache and the default directories tried, each path once", async () => {
    const image = await broken('moved', 'RUN mkdir /opt/z && mv /usr/lib/x86_64-linux-gnu/libz.so.1* /opt/z/');
    // generate refuses, and its hint runs as printed; why names who needs the library and doctor's fix.
    const g = await execa(BIN, ['/usr/sbin/nginx', '--base', image, '-o', '-'], { reject: false });
    expect(g.exitCode).toBe(1);
    const hint = await runPrinted(printedCommand(g.stderr, 'and a fix: '));
    expect(hint.all).toContain('found /opt/z/libz.so.1');
    const why = await execa(BIN, ['why', 'libz.so.1', '/usr/sbin/nginx', '--base', image], { reject: false });
    expect(why.exitCode).toBe(1);
    expect(why.stdout).toMatch(/^\/usr\/sbin\/nginx -> libz\.so\.1 \(missing: not in image /m);
    expect(why.stdout).toContain(`fix it with: printf`);
    const report = await scenario(image, ['/usr/sbin/nginx', '-v'], /libz\.so\.1: cannot open shared object file/, /nginx version/);
    const p = report.problems.find((x) => x.name === 'libz.so.1')!;
    const paths = p.tried.map((t) => t.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(p.tried.find((t) => t.rules.length === 2)?.rules).toEqual(['/etc/ld.so.cache', "the loader's default directories"]);
    expect(p.found?.candidates[0].path).toBe('/opt/z/libz.so.1');
  });

  it('a library installed without its SONAME link (libgreet.so.1.0.0 only)', async () => {
    const image = await broken('soname', 'COPY greeter/bin /opt/greeter/bin\nCOPY greeter/lib/libgreet.so.1.0.0 /opt/greeter/lib/');
    const report = await scenario(image, ['/opt/greeter/bin/greeter'], /libgreet\.so\.1: cannot open/, /ok 42/);
    const p = report.problems.find((x) => x.name === 'libgreet.so.1')!;
    expect(p.found?.candidates[0]).toEqual({ path: '/opt/greeter/lib/libgreet.so.1.0.0', by: 'soname' });
    // The loader looks for the SONAME's file name: no search path would take the file under its own name.
    expect(p.found?.libraryPath).toBeUndefined();
  });

  it('a 32-bit library where the RUNPATH looks, the 64-bit one elsewhere', async () => {
    const image = await broken(
      'class',
      'COPY greeter/bin /opt/greeter/bin\nCOPY greeter/lib32/libgreet.so.1 /opt/greeter/lib/\nCOPY greeter/lib /opt/greeter/lib64',
    );
    const report = await scenario(image, ['/opt/greeter/bin/greeter'], /wrong ELF class: ELFCLASS32/, /ok 42/);
    const p = report.problems.find((x) => x.name === 'libgreet.so.1')!;
    expect(p.kind).toBe('wrong-class');
    expect(p.found?.candidates.map((c) => c.path)).toEqual(['/opt/greeter/lib64/libgreet.so.1']);
  });

  it('the interpreter removed from /lib64, still in /usr/lib', async () => {
    const image = await broken('interp', 'COPY greeter /opt/greeter\nRUN rm /lib64/ld-linux-x86-64.so.2');
    const report = await scenario(image, ['/opt/greeter/bin/greeter'], /no such file or directory/, /ok 42/);
    const p = report.problems.find((x) => x.kind === 'interpreter-missing')!;
    expect(p.found?.candidates[0].path).toMatch(/\/lib\/x86_64-linux-gnu\/ld-linux-x86-64\.so\.2$/);
  });
});
