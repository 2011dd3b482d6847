import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { sharedFlags } from '../flags.js';
import { diagnose } from '../../doctor/diagnose.js';
import { fixesFor } from '../../doctor/fixes.js';
import { fixCommand } from '../../doctor/fix-command.js';
import { fixesInTarget } from '../../doctor/found-elsewhere.js';
import { doctorText, mergeTried } from '../../doctor/render.js';
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
    const inTarget = fixesInTarget(d, target.root);
    // A fix from the base is preferred; what the target holds fixes the problems the base does not.
    const own = inTarget.filter((f) => f.place && !fixes.some((x) => x.problem === f.problem && x.copies.length > 0));
    const command = fixCommand(
      {
        image: flags.image,
        dir: flags.root,
        root: target.root,
        engine: target.engine?.name ?? flags.engine ?? 'docker',
        base: base && { image: flags.base, dir: flags['base-root'], root: base.root },
      },
      fixes.flatMap((f) => f.copies),
      own.map((f) => f.place!),
    );
    const logText = flags.log === undefined ? undefined : flags.log === '-' ? await readStdin() : readFileSync(flags.log, 'utf8');
    const explained = logText === undefined ? [] : explainLog(parseFailureLog(logText), d);
    if (!d.starts) process.exitCode = EXIT_CODES.UNRESOLVED;

    const report = {
      program: args.binary,
      target: target.root.description,
      libc: d.map.libc,
      starts: d.starts,
      problems: d.problems.map((p) => {
        const fix = fixes.find((f) => f.problem === p);
        const own = inTarget.find((f) => f.problem === p);
        return {
          ...p,
          tried: mergeTried(p.tried),
          fix: fix ? { lines: fix.lines, note: fix.note } : undefined,
          found: own && { candidates: own.found, place: own.place, libraryPath: own.libraryPath, runpath: own.runpath },
        };
      }),
      fixCommand: command,
      log: explained,
    };
    if (this.jsonEnabled()) return report;
    let text = doctorText(d, target.root.description, fixes, inTarget, command);
    for (const e of explained) text += `log: ${e.finding.line}\n    ${e.explanation}\n`;
    process.stdout.write(text);
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
