import { basename } from 'node:path';
import { unlessInterrupted } from '../engine/cleanup.js';
import type { Progress } from '../engine/image-cache.js';
import type { OpenedRoot } from '../engine/open-root.js';
import { checkTraceTimeout } from '../engine/trace-all.js';
import { traceService } from '../engine/trace-service.js';
import { type GenerateResult, generate } from '../generate/generate.js';
import { hardenedFlags } from '../generate/hardening.js';
import { imageStart } from '../generate/start.js';
import { renderSizeTree, sizeTree } from '../generate/size-tree.js';
import { sizeSummary } from '../generate/summary.js';
import type { GenerateJob } from './job/generate-job.js';
import { openSource } from './job/source.js';
import { detectEngine, type EngineName } from '../engine/engine.js';
import { imageWritten } from './image-output.js';
import { prepareJob } from './job/prepare.js';
import { describeSource, generateInput, withUserStages } from './generate-input.js';
import { generateForPlatforms } from './generate-multi.js';
import { jsonReport, outputFiles, writeOutputs } from './generate-outputs.js';
import { type FlagDef, regenerateCommand } from './regenerate.js';

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

/** `scratchify generate` (the main job), its job checked already: plans, writes; the result is --json's object. */
export async function runGenerate(job: GenerateJob, ctx: GenerateContext): Promise<unknown> {
  const { flags, paths, expose } = job;
  const { out, scaffoldPath, bundlePath } = paths;
  const plan = (opened: OpenedRoot, scaffoldName: string) => planOne(job, ctx, opened, scaffoldName);
  if (job.platforms.length > 1) {
    return generateForPlatforms(
      { flags, platforms: job.platforms, paths, say: ctx.say, json: ctx.json, progress: ctx.progress, tool: ctx.version, expose },
      plan,
    );
  }
  const opened = await openSource(job.source, { base: flags.base, engine: flags.engine, progress: ctx.progress });
  let planned: Planned;
  let dockerfile: string;
  let files: ReturnType<typeof outputFiles>;
  // The outputs read the image too (an SBOM's digests, a bundle's files): the stage image goes after them.
  try {
    planned = await plan(opened, basename(scaffoldPath));
    const { source, baseRef } = describeSource(flags, opened);
    dockerfile = withUserStages(flags, planned.result.dockerfile);
    // The image or bundle reads every copied file: brought in as one stream first, where the source can.
    if (paths.image || bundlePath) await planned.result.prefetch();
    files = outputFiles(paths, planned.result, dockerfile, {
      program: job.program,
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
  const image =
    files.image &&
    (await imageWritten(
      files.image,
      paths.image!,
      async () => opened.engine ?? (await detectEngine(flags.engine as EngineName | undefined)),
    ));
  if (!out && !bundlePath && !paths.image && !ctx.json) process.stdout.write(dockerfile);
  for (const n of [...(opened.notes ?? []), ...traceNotes, ...result.notes]) process.stderr.write(`scratchify: ${n}\n`);
  result.warnings.unshift(...traceWarnings);
  for (const w of [...result.warnings, ...(flags.verbose ? result.details : [])]) process.stderr.write(`scratchify: warning: ${w}\n`);
  if (!ctx.json) for (const l of sizeSummary(result)) process.stderr.write(`scratchify: ${l}\n`);
  const tree = flags.sizes ? sizeTree(result.plan) : undefined;
  if (tree && !ctx.json) process.stderr.write(`${renderSizeTree(tree).join('\n')}\n`);
  if (!ctx.json)
    process.stderr.write(
      `scratchify: hardened, the image runs with these docker run flags (--json has them for Kubernetes and compose too): ${hardenedFlags(result.hardened)}\n`,
    );
  if (image && !ctx.json) process.stderr.write(`scratchify: ${image.said}\n`);
  if (bundlePath) process.stderr.write(`scratchify: wrote the minimal root to ${bundlePath}\n`);
  else if (!out && !paths.image && !ctx.json)
    process.stderr.write(`scratchify: wrote ${scaffoldPath}; build with the Dockerfile in the same directory\n`);
  return { ...jsonReport(result, paths), ...(tree ? { sizeTree: tree } : {}), ...(image ? { image: image.report } : {}) };
}

type Planned = { result: GenerateResult; traceWarnings: string[]; traceNotes: string[] };

/** What one image (one platform's base) is planned into: --trace runs first, a traced service run, then the plan. */
async function planOne(job: GenerateJob, ctx: GenerateContext, opened: OpenedRoot, scaffoldName: string): Promise<Planned> {
  const { flags, program, paths } = job;
  const { image, engine } = opened;
  const {
    traced,
    warnings: traceWarnings,
    notes: traceNotes,
  } = await prepareJob(opened, {
    program,
    traces: flags.trace ?? [],
    traceTimeout: flags['trace-timeout'],
    volumes: job.volumes,
    runs: flags['trace-service'] ? '--trace-service' : undefined,
    say: ctx.say,
  });
  const input = (used: typeof traced) =>
    generateInput(flags, opened, {
      program,
      args: job.extra,
      expose: job.expose,
      traced: used,
      command: regenerateCommand(['scratchify', program], ctx.flagDefs, flags, {
        skip: ['json', 'force', 'verbose', 'sizes'],
        pathFlags: ['output', 'sbom'],
        extra: job.extra,
      }),
      dockerfileName: paths.out ? basename(paths.out) : 'Dockerfile',
      scaffoldName,
      carrier: paths.carrier,
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
      steps: job.steps,
      volumes: job.volumes,
      timeout: checkTraceTimeout(flags['trace-timeout']),
      stopTimeout: job.stopTimeout,
    });
    used = [...traced, ...served];
  }
  const result = generate(input(used));
  return { result, traceWarnings, traceNotes };
}
