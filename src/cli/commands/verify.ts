import { existsSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { openRoot } from '../../engine/open-root.js';
import { checkImageReference } from '../../engine/reference.js';
import { checkTraceTimeout, traceAll } from '../../engine/trace-all.js';
import { EXIT_CODES, ScratchifyError } from '../../errors.js';
import { generate } from '../../generate/generate.js';
import { COLLAPSE_AT, groupUnder } from '../../verify/compare.js';
import { verify } from '../../verify/verify.js';
import { BaseCommand } from '../base-command.js';
import { sharedFlags } from '../flags.js';
import { generateInput } from '../generate-input.js';
import { checkOutputs, writeAtomically } from '../output.js';
import { regenerateCommand } from '../regenerate.js';
import Generate from './generate.js';

/** Rounds --fix may add files in before it gives up. */
const MAX_FIX_ROUNDS = 5;

const G = Generate.flags;

export default class Verify extends BaseCommand {
  static summary = 'Build the scratch image, run smoke commands in it and in the base, and name what is missing.';
  static description =
    `Generates the Dockerfile as "scratchify BINARY" would (same flags), builds it with the engine, and runs each --smoke command's arguments through the image's ENTRYPOINT in the scratch image and in the base, as the same user, with no network. Compares exit status and standard output (--compare-stderr: standard error too). On a difference, traces both runs with this machine's strace brought into each container and lists what the base run used that the scratch image lacks, with the flag that adds it. --fix adds it and tries again. Exit status 0 when every smoke command behaves the same, 9 when one does not.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the image, e.g. /usr/bin/python3', required: true }),
  };

  static flags = {
    base: sharedFlags.base(),
    smoke: Flags.string({
      description: "arguments to run the program with, e.g. --smoke '--version'; repeatable",
      multiple: true,
      required: true,
    }),
    fix: Flags.boolean({
      description: `add what the base runs used and the scratch image lacked, and verify again (at most ${MAX_FIX_ROUNDS} rounds); needs -o`,
    }),
    'compare-stderr': Flags.boolean({ description: 'also require the same standard error' }),
    timeout: Flags.string({ description: 'seconds each run may take', default: '60' }),
    output: Flags.string({ char: 'o', description: 'write the verified Dockerfile here (and its scaffold archive beside it)' }),
    file: Flags.string({
      char: 'f',
      description: 'verify this Dockerfile, built in its own directory, instead of generating one',
      exclusive: ['fix', 'output', 'include', 'trace'],
    }),
    include: sharedFlags.include(),
    user: G.user,
    'ca-certs': G['ca-certs'],
    tz: G.tz,
    gconv: G.gconv,
    trace: G.trace,
    'trace-timeout': G['trace-timeout'],
    'package-metadata': G['package-metadata'],
    copyright: G.copyright,
    engine: sharedFlags.engine(),
    'library-path': sharedFlags.libraryPath(),
  };

  static examples = [
    '<%= config.bin %> verify /usr/bin/python3 --base myorg/python:bookworm --smoke "-c \'import json, ssl\'"',
    "<%= config.bin %> verify /usr/sbin/rsyslogd --base myorg/rsyslog --smoke '-N1 -f /etc/rsyslog.conf' --fix -o Dockerfile",
  ];

  async run(): Promise<unknown> {
    const { args, argv, flags } = await this.parse(Verify);
    const extra = (argv as string[]).slice(1);
    if (!flags.base)
      throw new ScratchifyError('USAGE', 'verify needs the base image: --base IMAGE', {
        hint: 'the image the program comes from; verify builds and runs images, so it needs one',
      });
    checkImageReference('--base', flags.base);
    checkTraceTimeout(flags['trace-timeout']);
    const timeout = checkTraceTimeout(flags.timeout);
    if (flags.fix && !flags.output)
      throw new ScratchifyError('USAGE', '--fix writes the Dockerfile it verified: give -o FILE', { hint: 'e.g. --fix -o Dockerfile' });
    const out = flags.output ? resolvePath(flags.output) : undefined;
    const dockerfileName = out ? basename(out) : 'Dockerfile';
    const scaffoldName = `${dockerfileName}.scaffold.tar`;
    if (out) checkOutputs([out, `${out}.scaffold.tar`]);
    const file = flags.file ? resolvePath(flags.file) : undefined;
    if (file && !existsSync(file))
      throw new ScratchifyError('INPUT_NOT_FOUND', `-f ${flags.file}: no such file`, { hint: 'give the path of the Dockerfile to verify' });

    const opened = await openRoot({ image: flags.base, engine: flags.engine, progress: this.progress() });
    const { traced, warnings } = await traceAll(opened.engine!, opened.image!, flags.trace ?? [], flags['trace-timeout']);
    const say = (line: string) => {
      if (!this.jsonEnabled()) process.stderr.write(`scratchify: ${line}\n`);
    };
    const report = await verify({
      engine: opened.engine!,
      base: opened.image!,
      baseRoot: opened.root,
      program: args.binary,
      smokes: flags.smoke,
      compareStderr: flags['compare-stderr'],
      fixRounds: flags.fix ? MAX_FIX_ROUNDS : 0,
      timeout,
      say,
      context: (added) => {
        if (file) return { dir: dirname(file), dockerfileName: basename(file), files: [] };
        const include = [...(flags.include ?? []), ...added.filter((a) => a.use === 'read').map((a) => a.path)];
        const result = generate(
          generateInput({ ...flags, include }, opened, {
            program: args.binary,
            args: extra,
            expose: [],
            traced: [...traced, ...added.filter((a) => a.use !== 'read')],
            command: regenerateCommand(
              ['scratchify', args.binary],
              Generate.flags,
              { ...flags, include },
              { pathFlags: ['output'], extra },
            ),
            dockerfileName,
            scaffoldName,
            carrier: 'copy',
          }),
        );
        return {
          dockerfileName,
          files: [
            { name: dockerfileName, data: result.dockerfile },
            { name: scaffoldName, data: result.scaffold },
          ],
        };
      },
    });
    if (out)
      writeAtomically(report.context.files.map((f) => ({ path: f.name === dockerfileName ? out : `${out}.scaffold.tar`, data: f.data })));
    if (!report.pass) process.exitCode = EXIT_CODES.MISMATCH;
    if (!this.jsonEnabled()) this.print(report, warnings, out);
    return {
      pass: report.pass,
      dockerfile: out ?? null,
      added: report.added.map((a) => ({ path: a.path, use: a.use, reason: a.reason })),
      rounds: report.rounds.map((r) =>
        r.outcomes.map((o) => ({
          smoke: o.smoke,
          pass: o.pass,
          differences: o.differences,
          missing: o.missing.map((m) => ({ path: m.path, use: m.use, fix: m.fix })),
          loader: o.loader,
          base: { exitCode: o.base.exitCode, stdout: o.base.stdout, stderr: o.base.stderr },
          scratch: { exitCode: o.scratch.exitCode, stdout: o.scratch.stdout, stderr: o.scratch.stderr },
        })),
      ),
      warnings,
    };
  }

  private print(report: Awaited<ReturnType<typeof verify>>, warnings: string[], out: string | undefined): void {
    const lines: string[] = [];
    const last = report.rounds[report.rounds.length - 1];
    if (report.rounds.length > 1) {
      const first = report.rounds[0];
      for (const o of first.outcomes.filter((x) => !x.pass)) lines.push(`FAIL (before --fix) ${o.smoke}: ${o.differences.join('; ')}`);
    }
    for (const o of last.outcomes) {
      lines.push(`${o.pass ? 'PASS' : 'FAIL'} ${o.smoke}${o.pass ? '' : `: ${o.differences.join('; ')}`}`);
      lines.push(...missingLines(o.missing));
      for (const l of o.loader) lines.push(`    doctor: ${l}`);
      if (!o.pass && o.missing.length === 0 && o.loader.length === 0)
        lines.push('    the base run used nothing the scratch image lacks: the difference is not a missing file');
    }
    if (report.added.length) {
      lines.push(`--fix added ${report.added.length} path${report.added.length === 1 ? '' : 's'}:`);
      for (const a of report.added) lines.push(`    ${a.use === 'read' ? '--include' : 'directory'} ${a.path} (${a.reason})`);
    }
    const passed = last.outcomes.filter((o) => o.pass).length;
    lines.push(
      `${passed} of ${last.outcomes.length} smoke command${last.outcomes.length === 1 ? '' : 's'} behave as in the base${out ? `; wrote ${out}` : ''}`,
    );
    for (const w of warnings) process.stderr.write(`scratchify: warning: ${w}\n`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** Missing paths, one line each, except that many under one directory read as that directory. */
function missingLines(missing: { path: string; fix: string }[]): string[] {
  const lines: string[] = [];
  for (const [dir, ms] of groupUnder(missing)) {
    if (ms.length > COLLAPSE_AT) lines.push(`    missing ${ms.length} paths under ${dir} (${ms[0].path}, ...): --include ${dir}`);
    else for (const m of ms) lines.push(`    missing ${m.path}: ${m.fix}`);
  }
  return lines;
}
