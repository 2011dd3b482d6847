import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Args, Flags, type Interfaces } from '@oclif/core';
import type { OpenedRoot } from '../../engine/open-root.js';
import type { Step } from '../../engine/session.js';
import type { VolumeSpec } from '../../engine/volumes.js';
import type { GenerateResult } from '../../generate/generate.js';
import { generateForPlatforms } from '../generate-multi.js';
import { BaseCommand } from '../base-command.js';
import { shapeFlags } from '../generate-flags.js';
import { seconds, serviceFlags, serviceSteps, volumes } from '../service-flags.js';
import { regenerateCommand } from '../regenerate.js';
import { jsonReport, type OutputPaths, outputFiles, outputPaths } from '../generate-outputs.js';
import { describeSource, generateInput, withUserStages } from '../generate-input.js';
import { openRoot } from '../../engine/open-root.js';
import { checkImageReference } from '../../engine/reference.js';
import { checkTraceTimeout, isProgram, traceAll } from '../../engine/trace-all.js';
import { traceService } from '../../engine/trace-service.js';
import { checkVolume } from '../../engine/volumes.js';
import { ScratchifyError } from '../../errors.js';
import { checkExpose } from '../../generate/expose.js';
import { generate } from '../../generate/generate.js';
import { sizeSummary } from '../../generate/summary.js';
import { writeAtomically } from '../output.js';

export type GenerateFlags = Interfaces.InferredFlags<typeof Generate.flags>;

export default class Generate extends BaseCommand {
  static summary = 'Write a FROM scratch Dockerfile that holds exactly what BINARY needs from the base image.';
  static description = `The default command: "scratchify BINARY ..." is "scratchify generate BINARY ...".
Reads the image's files without running anything from it, resolves the binary as its dynamic loader would, adds what its configuration names (nginx: modules, config, web roots, writable dirs) and what glibc loads at run time (NSS modules, libgcc_s, gconv), and writes the Dockerfile plus a small scaffold archive (directories, links, passwd/group) that the Dockerfile ADDs.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the image, e.g. /usr/sbin/nginx', required: true }),
  };

  static flags = {
    ...shapeFlags,
    'trace-service': Flags.boolean({
      description:
        'start the program as a service in a container of the base, traced, make the --probe and --probe-cmd requests, and add what it used (--trace-timeout bounds its start)',
    }),
    ...serviceFlags,
    bundle: Flags.string({
      description:
        'write the minimal root itself instead: a directory (for COPY --from=build /out/ /), or FILE.tar; with .scratchify.json (entrypoint, user, ports, the base configuration kept)',
    }),
    force: Flags.boolean({ description: 'with --bundle DIR: replace a directory that is not empty' }),
    output: Flags.string({
      char: 'o',
      description: 'write the Dockerfile here (and the scaffold archive beside it) instead of stdout; - is stdout',
    }),
    verbose: Flags.boolean({
      description: 'also print warnings that hold in almost every base and change nothing (NSS modules glibc skips)',
    }),
    sbom: Flags.string({ description: "write the scratch image's SBOM to this file" }),
    'sbom-format': Flags.string({ description: 'SBOM format', options: ['cyclonedx', 'spdx'], default: 'cyclonedx' }),
  };

  static examples = [
    '<%= config.bin %> /usr/sbin/nginx --base myorg/nginx-base:bookworm -o Dockerfile',
    '<%= config.bin %> /app/server --dockerfile Dockerfile --target build -o Dockerfile.scratch',
    '<%= config.bin %> /usr/local/bin/app --root ./rootfs --base myorg/app-builder -o Dockerfile -- --port 8080',
  ];

  async run(): Promise<unknown> {
    const { args, argv, flags, raw } = await this.parse(Generate);
    const steps = serviceSteps(raw);
    if (flags['trace-service'] && steps.length === 0)
      throw new ScratchifyError('USAGE', '--trace-service needs the requests to make: --probe URL or --probe-cmd CLIENT', {
        hint: 'e.g. --trace-service --probe http://127.0.0.1/',
      });
    if (!flags['trace-service'] && (steps.length > 0 || flags.volume?.length))
      throw new ScratchifyError('USAGE', '--probe, --probe-cmd, --restart and --volume go with --trace-service (or verify)', {
        hint: 'add --trace-service to trace the service while it answers them',
      });
    const volumeSpecs = volumes(flags.volume);
    const stopTimeout = seconds('stop-timeout', flags['stop-timeout']);
    const extra = (argv as string[]).slice(1);
    const expose = (flags.expose ?? []).map(checkExpose);
    checkTraceTimeout(flags['trace-timeout']);
    if (flags.user !== undefined && !flags.user.trim())
      throw new ScratchifyError('USAGE', '--user is empty', { hint: 'give NAME or UID[:GID], or leave --user out' });
    if (flags.base) checkImageReference('--base', flags.base);
    const paths = outputPaths(flags, this.jsonEnabled());
    const { out, scaffoldPath, bundlePath } = paths;
    if (flags.dockerfile && !existsSync(flags.dockerfile)) {
      throw new ScratchifyError('INPUT_NOT_FOUND', `--dockerfile ${flags.dockerfile}: no such file`, {
        hint: 'give the path of your Dockerfile',
      });
    }
    const stage =
      flags.dockerfile && flags.target
        ? { dockerfile: flags.dockerfile, target: flags.target, network: flags['build-network'] }
        : undefined;
    const platforms = flags.platform?.split(',') ?? [];
    if (platforms.length > 1) {
      return generateForPlatforms(
        { flags, platforms, paths, say: this.say(), json: this.jsonEnabled(), progress: this.progress(), tool: this.config.version },
        (opened, scaffoldName) =>
          this.plan(flags, args.binary, extra, expose, steps, volumeSpecs, stopTimeout, opened, scaffoldName, paths),
      );
    }
    const opened = await openRoot({
      image: flags.base,
      dir: flags.root,
      engine: flags.engine,
      stage,
      progress: this.progress(),
      platform: flags.platform,
    });
    let planned: Awaited<ReturnType<typeof this.plan>>;
    let dockerfile: string;
    let files: ReturnType<typeof outputFiles>;
    // The outputs read the image too (an SBOM's digests, a bundle's files): the stage image goes after them.
    try {
      planned = await this.plan(flags, args.binary, extra, expose, steps, volumeSpecs, stopTimeout, opened, basename(scaffoldPath), paths);
      const { source, baseRef } = describeSource(flags, opened);
      dockerfile = withUserStages(flags, planned.result.dockerfile);
      files = outputFiles(paths, planned.result, dockerfile, {
        program: args.binary,
        base: baseRef ?? source,
        source,
        expose,
        sbomFormat: flags['sbom-format'],
        tool: this.config.version,
        force: flags.force,
      });
    } finally {
      await opened.release?.();
    }
    const { result, traceWarnings, traceNotes } = planned;
    writeAtomically(files);
    if (!out && !bundlePath && !this.jsonEnabled()) process.stdout.write(dockerfile);
    for (const n of [...traceNotes, ...result.notes]) process.stderr.write(`scratchify: ${n}\n`);
    result.warnings.unshift(...traceWarnings);
    for (const w of [...result.warnings, ...(flags.verbose ? result.details : [])]) process.stderr.write(`scratchify: warning: ${w}\n`);
    if (!this.jsonEnabled()) for (const l of sizeSummary(result)) process.stderr.write(`scratchify: ${l}\n`);
    if (bundlePath) process.stderr.write(`scratchify: wrote the minimal root to ${bundlePath}\n`);
    else if (!out && !this.jsonEnabled())
      process.stderr.write(`scratchify: wrote ${scaffoldPath}; build with the Dockerfile in the same directory\n`);
    return jsonReport(result, paths);
  }

  /** What one image (one platform's base) is planned into: traced runs and service traces first, then generate. */
  private async plan(
    flags: GenerateFlags,
    program: string,
    extra: string[],
    expose: string[],
    steps: Step[],
    volumeSpecs: VolumeSpec[],
    stopTimeout: number,
    opened: OpenedRoot,
    scaffoldName: string,
    paths: OutputPaths,
  ): Promise<{ result: GenerateResult; traceWarnings: string[]; traceNotes: string[] }> {
    const { image, engine } = opened;
    const traces = flags.trace ?? [];
    if ((traces.length > 0 || flags['trace-service']) && (!engine || !image)) {
      throw new ScratchifyError('USAGE', '--trace needs an image (--base or --dockerfile/--target) to run the command in', {
        hint: 'scratchify never runs programs from a root on this machine',
      });
    }
    for (const v of volumeSpecs) await checkVolume(engine!, v);
    const {
      traced,
      warnings: traceWarnings,
      notes: traceNotes,
    } = await traceAll(engine!, image!, traces, flags['trace-timeout'], isProgram(opened.root, program), this.say());
    const input = (used: typeof traced) =>
      generateInput(flags, opened, {
        program,
        args: extra,
        expose,
        traced: used,
        command: regenerateCommand(['scratchify', program], Generate.flags, flags, {
          skip: ['json', 'force', 'verbose'],
          pathFlags: ['output', 'sbom'],
          extra,
        }),
        dockerfileName: paths.out ? basename(paths.out) : 'Dockerfile',
        scaffoldName,
        carrier: paths.carrier,
      });
    let result = generate(input(traced));
    if (flags['trace-service']) {
      this.say()(`tracing the service in ${image!.ref} while it answers its probes`);
      // Started as the scratch image will start it: the same command and user, in the base.
      const served = await traceService(engine!, image!, {
        command: [...result.entrypoint, ...(result.cmd ?? [])],
        user: `${result.runAs.uid}:${result.runAs.gid}`,
        steps,
        volumes: volumeSpecs,
        timeout: checkTraceTimeout(flags['trace-timeout']),
        stopTimeout,
      });
      result = generate(input([...traced, ...served]));
    }
    return { result, traceWarnings, traceNotes };
  }
}
