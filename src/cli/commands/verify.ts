import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { unlessInterrupted } from '../../engine/cleanup.js';
import { checkTraceTimeout } from '../../engine/trace-all.js';
import { EXIT_CODES, ScratchifyError } from '../../errors.js';
import { verify } from '../../verify/verify.js';
import { imageSource, openSource } from '../job/source.js';
import { prepareJob } from '../job/prepare.js';
import { BaseCommand } from '../base-command.js';
import { positionals } from '../positionals.js';
import { shapeFlags } from '../generate-flags.js';
import { checkOutputs, writeAtomically } from '../output.js';
import { serviceFlags } from '../service-flags.js';
import { roundTripSteps, seconds, serviceSteps, volumes } from '../service-steps.js';
import { verifyContexts } from '../verify-context.js';
import { reportLines, verifyJson } from '../verify-report.js';

/** Rounds --fix may add files in before it gives up. */
const MAX_FIX_ROUNDS = 5;

// verify runs images, never a root directory; and -r must stay free for smoke commands (`--smoke=-r CODE`):
// oclif takes a value that starts with one of the command's short flags for a missing value.
const { root: _root, ...imageFlags } = shapeFlags;

export default class Verify extends BaseCommand {
  static summary = 'Build the scratch image, run it beside the base (commands, or the service and its probes), and name what is missing.';
  static description =
    `Generates the Dockerfile as "scratchify BINARY" would (same flags), builds it with the engine, and compares the scratch image with the base. --smoke runs a command's arguments through the image's ENTRYPOINT in both, as the same user, with no network, and compares exit status and standard output (--compare-stderr: standard error too). --probe and --probe-cmd start the program as a service in each image, in a network namespace of its own, wait until it is ready, make the same requests to both (in the order given, --restart among them) and compare the answers, then stop it with the image's stop signal and compare how it ended. On a difference, traces both with this machine's strace brought into each container and lists what the base used that the scratch image lacks, with the flag that adds it. --fix adds it and tries again. Exit status 0 when everything behaves the same, 9 when something does not.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the image, e.g. /usr/bin/python3', required: true }),
  };

  static flags = {
    ...imageFlags,
    smoke: Flags.string({ description: "arguments to run the program with, e.g. --smoke '--version'; repeatable", multiple: true }),
    'smoke-status': Flags.integer({
      description: 'the exit status the smoke commands end with in the base (default 0): a failure both should show alike',
      min: 0,
      max: 255,
    }),
    ...serviceFlags,
    fix: Flags.boolean({
      description: `add what the base used and the scratch image lacked, and verify again (at most ${MAX_FIX_ROUNDS} rounds); needs -o`,
    }),
    'compare-stderr': Flags.boolean({ description: 'also require the same standard error of smoke commands' }),
    hardened: Flags.boolean({
      description:
        'run the scratch image hardened: --read-only, --cap-drop ALL (but what it needs), no-new-privileges, its user, a tmpfs or volume for each path it writes',
      exclusive: ['file'],
    }),
    timeout: Flags.string({ description: 'seconds each run may take, and a service to become ready', default: '60' }),
    output: Flags.string({ char: 'o', description: 'write the verified Dockerfile here (and its scaffold archive beside it)' }),
    file: Flags.string({
      char: 'f',
      description:
        'verify this Dockerfile, built in its own directory, instead of generating one (with --fix: COPY lines for what it lacks are added to a copy written to -o)',
      exclusive: ['include', 'trace', 'dockerfile'],
    }),
  };

  static examples = [
    '<%= config.bin %> verify /usr/bin/python3 --base myorg/python:bookworm --smoke "-c \'import json, ssl\'"',
    "<%= config.bin %> verify /usr/sbin/rsyslogd --base myorg/rsyslog --smoke '-N1 -f /etc/rsyslog.conf' --fix -o Dockerfile",
    '<%= config.bin %> verify /usr/sbin/nginx --base myorg/site --probe http://127.0.0.1/ --probe http://127.0.0.1/cv --fix -o Dockerfile',
    "<%= config.bin %> verify /usr/bin/redis-server --base myorg/redis --volume data:/var/lib/redis --probe-cmd 'redis-cli set k v' --restart --probe-cmd 'redis-cli get k'",
  ];

  async run(): Promise<unknown> {
    const { args, flags, raw } = await this.parse(Verify);
    const extra = positionals(raw).slice(1);
    if (!flags.base && !flags.dockerfile)
      throw new ScratchifyError('USAGE', 'verify needs the base image: --base IMAGE, or --dockerfile FILE --target STAGE', {
        hint: 'the image the program comes from; verify builds and runs images, so it needs one',
      });
    const source = imageSource(flags);
    checkTraceTimeout(flags['trace-timeout']);
    const timeout = seconds('timeout', flags.timeout);
    const smokes = flags.smoke ?? [];
    const given = serviceSteps(raw);
    const steps = roundTripSteps(given, args.binary, smokes.length === 0);
    if (given.length === 0 && steps.length > 0 && steps[0].kind === 'probe')
      this.say()(`no --smoke or --probe given: ${steps[0].probe.text}, with ${args.binary}'s own round trip (--probe overrides)`);
    if (smokes.length === 0 && steps.length === 0)
      throw new ScratchifyError(
        'USAGE',
        `nothing to verify: give --smoke ARGS, or --probe / --probe-cmd for a service (${args.binary} is no service whose protocol scratchify knows)`,
        {
          hint: "e.g. --smoke '--version', or --probe http://127.0.0.1:8080/",
        },
      );
    if ((flags.volume?.length || flags.restart) && steps.length === 0)
      throw new ScratchifyError('USAGE', '--volume and --restart apply to a service: give --probe or --probe-cmd', {
        hint: 'e.g. --probe tcp://127.0.0.1:6379',
      });
    if (flags.fix && !flags.output)
      throw new ScratchifyError('USAGE', '--fix writes the Dockerfile it verified: give -o FILE', { hint: 'e.g. --fix -o Dockerfile' });
    const out = flags.output ? resolvePath(flags.output) : undefined;
    if (out) checkOutputs([out, `${out}.scaffold.tar`]);
    const file = flags.file ? resolvePath(flags.file) : undefined;
    if (file && !existsSync(file))
      throw new ScratchifyError('INPUT_NOT_FOUND', `-f ${flags.file}: no such file`, { hint: 'give the path of the Dockerfile to verify' });
    const volumeSpecs = volumes(flags.volume);
    const opened = await openSource(source, { base: flags.base, engine: flags.engine, progress: this.progress() });
    const { traced, warnings, notes } = await prepareJob(opened, {
      program: args.binary,
      traces: flags.trace ?? [],
      traceTimeout: flags['trace-timeout'],
      volumes: volumeSpecs,
      runs: 'verify',
      say: this.say(),
    });
    const say = this.say();
    const contexts = verifyContexts({ flags, opened, program: args.binary, extra, traced, file, out });
    let report: Awaited<ReturnType<typeof verify>>;
    try {
      report = await verify({
        engine: opened.engine!,
        base: opened.image!,
        baseRoot: opened.root,
        program: args.binary,
        smokes,
        service: steps.length
          ? { steps, volumes: volumeSpecs, timeout, stopTimeout: seconds('stop-timeout', flags['stop-timeout']) }
          : undefined,
        compareStderr: flags['compare-stderr'],
        smokeStatus: flags['smoke-status'] ?? 0,
        fixRounds: flags.fix ? MAX_FIX_ROUNDS : 0,
        hardened: flags.hardened,
        timeout,
        say,
        rounds: contexts.rounds,
      });
    } finally {
      await opened.release?.();
    }
    await unlessInterrupted();
    // Only what passed is written: a Dockerfile that gives a failing image is no output of verify.
    if (out && report.pass) writeAtomically(contexts.output(report.added));
    if (!report.pass) process.exitCode = EXIT_CODES.MISMATCH;
    if (!this.jsonEnabled()) {
      for (const n of notes) process.stderr.write(`scratchify: ${n}\n`);
      for (const w of warnings) process.stderr.write(`scratchify: warning: ${w}\n`);
      process.stdout.write(`${reportLines(report, out).join('\n')}\n`);
    }
    return verifyJson(report, out, warnings);
  }
}
