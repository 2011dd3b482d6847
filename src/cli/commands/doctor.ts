import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { sharedFlags } from '../flags.js';
import { diagnose } from '../../doctor/diagnose.js';
import { fixesFor } from '../../doctor/fixes.js';
import { explainLog, parseFailureLog } from '../../doctor/log.js';
import { openRoot } from '../../engine/open-root.js';
import { checkImageReference } from '../../engine/reference.js';
import { EXIT_CODES, ScratchifyError } from '../../errors.js';

export default class Doctor extends BaseCommand {
  static summary = 'Tell whether BINARY would start in a target image or directory, and why not.';
  static description =
    `Simulates exec and the dynamic loader against the target, in load order: a missing interpreter, libraries not found (with the paths tried), wrong-class candidates, glibc/musl mismatches, missing symbol versions, nginx modules that cannot be loaded. With --base, prints the COPY lines that fix each problem. Exit status 0 when it would start, 1 when not.`;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the target', required: true }),
  };

  static flags = {
    image: Flags.string({ description: 'the target image (a scratch image you built, an Alpine image, ...)', exclusive: ['root'] }),
    root: Flags.string({ char: 'r', description: 'the target as an unpacked directory' }),
    base: Flags.string({ char: 'b', description: 'image to take fixes from; prints the COPY lines' }),
    'base-root': Flags.string({ description: 'directory to take fixes from, instead of --base' }),
    log: Flags.string({ description: 'a failure log to explain (a file, or - for stdin)' }),
    include: sharedFlags.include(),
    engine: sharedFlags.engine(),
  };

  static examples = [
    '<%= config.bin %> doctor /app --image myorg/app:scratch --base myorg/app-builder',
    'docker run myorg/app:scratch 2>&1 | <%= config.bin %> doctor /app --image myorg/app:scratch --log -',
  ];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Doctor);
    if (!flags.image && !flags.root)
      throw new ScratchifyError('USAGE', 'doctor needs the target: --image IMAGE or --root DIR', {
        hint: 'name the image that fails to start',
      });
    if (flags.image) checkImageReference('--image', flags.image);
    if (flags.base) checkImageReference('--base', flags.base);
    const target = await openRoot({ image: flags.image, dir: flags.root, engine: flags.engine, progress: this.progress() });
    const d = diagnose(target.root, args.binary, { includes: flags.include ?? [] });
    const base =
      flags.base || flags['base-root'] ? await openRoot({ image: flags.base, dir: flags['base-root'], engine: flags.engine }) : undefined;
    const fixes = base ? fixesFor(d, target.root, base.root) : [];
    const logText = flags.log === undefined ? undefined : flags.log === '-' ? await readStdin() : readFileSync(flags.log, 'utf8');
    const explained = logText === undefined ? [] : explainLog(parseFailureLog(logText), d);
    if (!d.starts) process.exitCode = EXIT_CODES.UNRESOLVED;

    const report = {
      program: args.binary,
      target: target.root.description,
      libc: d.map.libc,
      starts: d.starts,
      problems: d.problems.map((p) => ({ ...p, fix: fixes.find((f) => f.problem === p) })),
      log: explained,
    };
    if (this.jsonEnabled())
      return {
        ...report,
        problems: report.problems.map((p) => ({ ...p, fix: p.fix ? { lines: p.fix.lines, note: p.fix.note } : undefined })),
      };

    const out: string[] = [`${args.binary} in ${target.root.description} (${d.map.libc}):`];
    for (const p of report.problems) {
      out.push(`${p.fatal ? '✗' : '!'} ${p.message}`);
      if (p.chain.length > 1) out.push(`    needed through: ${p.chain.join(' -> ')}`);
      for (const t of p.tried) out.push(`    tried ${t.path}: ${t.why}${t.detail ? ` (${t.detail})` : ''}`);
      if (p.fix?.note) out.push(`    note: ${p.fix.note}`);
      for (const l of p.fix?.lines ?? []) out.push(`    fix: ${l}`);
    }
    for (const e of explained) out.push(`log: ${e.finding.line}\n    ${e.explanation}`);
    out.push(d.starts ? '✓ the loader would start it' : '✗ it would not start');
    process.stdout.write(`${out.join('\n')}\n`);
    return report;
  }
}

/**
 * Standard input to its end, read as a stream: a pipe from a writer slower than us (`docker run ... | scratchify
 * doctor --log -`) is non-blocking, and a synchronous read of it fails with EAGAIN whenever it is empty for a while.
 */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
