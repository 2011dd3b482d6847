import { basename } from 'node:path';
import { unlessInterrupted } from '../engine/cleanup.js';
import type { Progress } from '../engine/image-cache.js';
import type { OpenedRoot } from '../engine/open-root.js';
import type { Step } from '../engine/session.js';
import { checkTraceTimeout } from '../engine/trace-all.js';
import { traceService } from '../engine/trace-service.js';
import type { VolumeSpec } from '../engine/volumes.js';
import { ScratchifyError } from '../errors.js';
import { checkExpose } from '../generate/expose.js';
import { type GenerateResult, generate } from '../generate/generate.js';
import { hardenedFlags } from '../generate/hardening.js';
import { imageStart } from '../generate/start.js';
import { renderSizeTree, sizeTree } from '../generate/size-tree.js';
import { sizeSummary } from '../generate/summary.js';
import type { GenerateFlags } from './generate-flags.js';
import { imageSource, openSource } from './job/source.js';
import { prepareJob } from './job/prepare.js';
import { describeSource, generateInput, withUserStages } from './generate-input.js';
import { generateForPlatforms } from './generate-multi.js';
import { jsonReport, type OutputPaths, outputFiles, outputPaths, writeOutputs } from './generate-outputs.js';
import { type FlagDef, regenerateCommand } from './regenerate.js';
import { roundTripSteps, seconds, serviceSteps, volumes } from './service-steps.js';

/** What generate was given, as oclif parses it. */
export interface GenerateRequest {
  binary: string;
  /** Every positional: the binary, then the program's own arguments. */
  argv: string[];
  flags: GenerateFlags;
  /** The flag tokens in the order given (--probe, --probe-cmd and --restart interleave). */
  raw: readonly { type: string; flag?: string; input: string }[];
}

/** Where generate reports, and what it says of itself. */
export interface GenerateContext {
  json: boolean;
  progress?: Progress;
  say: (line: string) => void;
  /** scratchify's version, for the SBOM's tool. */
  version: string;
  /** generate's flag definitions, in declaration order: the regenerate line lists those that differ from their default. */
  flagDefs: Readonly<Record<string, FlagDef>>;
}

/** `scratchify generate` (the main job): checks, plans, writes; the result is --json's object. */
export async function runGenerate(req: GenerateRequest, ctx: GenerateContext): Promise<unknown> {
  const { flags } = req;
  const steps = roundTripSteps(serviceSteps(req.raw), req.binary, false);
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
  const extra = req.argv.slice(1);
  const expose = (flags.expose ?? []).map(checkExpose);
  checkTraceTimeout(flags['trace-timeout']);
  if (flags.user !== undefined && !flags.user.trim())
    throw new ScratchifyError('USAGE', '--user is empty', { hint: 'give NAME or UID[:GID], or leave --user out' });
  const source = imageSource(flags);
  const paths = outputPaths(flags, ctx.json);
  const { out, scaffoldPath, bundlePath } = paths;
  const plan = (opened: OpenedRoot, scaffoldName: string) =>
    planOne(req, ctx, { extra, expose, steps, volumeSpecs, stopTimeout, opened, scaffoldName, paths });
  const platforms = flags.platform?.split(',') ?? [];
  if (platforms.length > 1) {
    return generateForPlatforms({ flags, platforms, paths, say: ctx.say, json: ctx.json, progress: ctx.progress, tool: ctx.version }, plan);
  }
  const opened = await openSource(source, { base: flags.base, engine: flags.engine, progress: ctx.progress });
  let planned: Planned;
  let dockerfile: string;
  let files: ReturnType<typeof outputFiles>;
  // The outputs read the image too (an SBOM's digests, a bundle's files): the stage image goes after them.
  try {
    planned = await plan(opened, basename(scaffoldPath));
    const { source, baseRef } = describeSource(flags, opened);
    dockerfile = withUserStages(flags, planned.result.dockerfile);
    files = outputFiles(paths, planned.result, dockerfile, {
      program: req.binary,
      base: baseRef ?? source,
      source,
      expose,
      sbomFormat: flags['sbom-format'],
      tool: ctx.version,
      force: flags.force,
    });
  } finally {
    await opened.release?.();
  }
  const { result, traceWarnings, traceNotes } = planned;
  await unlessInterrupted();
  result.warnings.push(...writeOutputs(files));
  if (!out && !bundlePath && !ctx.json) process.stdout.write(dockerfile);
  for (const n of [...traceNotes, ...result.notes]) process.stderr.write(`scratchify: ${n}\n`);
  result.warnings.unshift(...traceWarnings);
  for (const w of [...result.warnings, ...(flags.verbose ? result.details : [])]) process.stderr.write(`scratchify: warning: ${w}\n`);
  if (!ctx.json) for (const l of sizeSummary(result)) process.stderr.write(`scratchify: ${l}\n`);
  const tree = flags.sizes ? sizeTree(result.plan) : undefined;
  if (tree && !ctx.json) process.stderr.write(`${renderSizeTree(tree).join('\n')}\n`);
  if (!ctx.json)
    process.stderr.write(
      `scratchify: hardened, the image runs with these docker run flags (--json has them for Kubernetes and compose too): ${hardenedFlags(result.hardened)}\n`,
    );
  if (bundlePath) process.stderr.write(`scratchify: wrote the minimal root to ${bundlePath}\n`);
  else if (!out && !ctx.json) process.stderr.write(`scratchify: wrote ${scaffoldPath}; build with the Dockerfile in the same directory\n`);
  return { ...jsonReport(result, paths), ...(tree ? { sizeTree: tree } : {}) };
}

type Planned = { result: GenerateResult; traceWarnings: string[]; traceNotes: string[] };

/** What one image (one platform's base) is planned into: traced runs and service traces first, then generate. */
async function planOne(
  req: GenerateRequest,
  ctx: GenerateContext,
  o: {
    extra: string[];
    expose: string[];
    steps: Step[];
    volumeSpecs: VolumeSpec[];
    stopTimeout: number;
    opened: OpenedRoot;
    scaffoldName: string;
    paths: OutputPaths;
  },
): Promise<Planned> {
  const { flags, binary: program } = req;
  const { image, engine } = o.opened;
  const {
    traced,
    warnings: traceWarnings,
    notes: traceNotes,
  } = await prepareJob(o.opened, {
    program,
    traces: flags.trace ?? [],
    traceTimeout: flags['trace-timeout'],
    volumes: o.volumeSpecs,
    runs: flags['trace-service'] ? '--trace-service' : undefined,
    say: ctx.say,
  });
  const input = (used: typeof traced) =>
    generateInput(flags, o.opened, {
      program,
      args: o.extra,
      expose: o.expose,
      traced: used,
      command: regenerateCommand(['scratchify', program], ctx.flagDefs, flags, {
        skip: ['json', 'force', 'verbose', 'sizes'],
        pathFlags: ['output', 'sbom'],
        extra: o.extra,
      }),
      dockerfileName: o.paths.out ? basename(o.paths.out) : 'Dockerfile',
      scaffoldName: o.scaffoldName,
      carrier: o.paths.carrier,
    });
  let used = traced;
  if (flags['trace-service']) {
    ctx.say(`tracing the service in ${image!.ref} while it answers its probes`);
    // Started as the scratch image will start it: the same command and user, in the base. The plan is made once,
    // after, with what the run used.
    const start = imageStart(input(traced));
    const served = await traceService(engine!, image!, {
      command: [...start.entrypoint, ...(start.cmd ?? [])],
      user: start.user,
      steps: o.steps,
      volumes: o.volumeSpecs,
      timeout: checkTraceTimeout(flags['trace-timeout']),
      stopTimeout: o.stopTimeout,
    });
    used = [...traced, ...served];
  }
  const result = generate(input(used));
  return { result, traceWarnings, traceNotes };
}
