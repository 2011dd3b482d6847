import type { Progress } from '../engine/image-cache.js';
import { unlessInterrupted } from '../engine/cleanup.js';
import { EXIT_CODES, ScratchifyError } from '../errors.js';
import { verify } from '../verify/verify.js';
import { readLayered } from '../engine/layered-root.js';
import { prepareJob } from './job/prepare.js';
import { openSource } from './job/source.js';
import type { VerifyJob } from './job/verify-job.js';
import { writeAtomically } from './output.js';
import { MAX_FIX_ROUNDS } from './verify-flags.js';
import { verifyContexts } from './verify-context.js';
import { reportLines, verifyJson } from './verify-report.js';

/** `scratchify verify`: opens and prepares the base, verifies, writes what passed; the result is --json's object. */
export async function runVerify(
  job: VerifyJob,
  ctx: { json: boolean; progress?: Progress; say: (line: string) => void },
): Promise<unknown> {
  const { flags, program, out } = job;
  const opened = await openSource(job.source, { base: flags.base, engine: flags.engine, progress: ctx.progress });
  // A base read without an engine (from files or a registry) cannot be run: verify needs one to run both images.
  if (!opened.engine)
    throw new ScratchifyError(
      'ENGINE_UNAVAILABLE',
      `verify runs the base and the scratch image, and no container engine answers for ${flags.base}`,
      {
        hint: 'start dockerd (or install podman), and give the base as the engine names it',
      },
    );
  const { traced, warnings, notes } = await prepareJob(opened, {
    program,
    traces: flags.trace ?? [],
    traceTimeout: flags['trace-timeout'],
    volumes: job.volumes,
    runs: 'verify',
    say: ctx.say,
  });
  const written = job.image && flags.image ? await readLayered(flags.image, opened.image?.platform) : undefined;
  const contexts = verifyContexts({ flags, opened, program, extra: job.extra, traced, file: job.file, written, out });
  let report: Awaited<ReturnType<typeof verify>>;
  try {
    report = await verify({
      engine: opened.engine!,
      base: opened.image!,
      baseRoot: opened.root,
      program,
      smokes: job.smokes,
      service: job.steps.length
        ? { steps: job.steps, volumes: job.volumes, timeout: job.timeout, stopTimeout: job.stopTimeout }
        : undefined,
      compareStderr: flags['compare-stderr'],
      smokeStatus: flags['smoke-status'] ?? 0,
      fixRounds: flags.fix ? MAX_FIX_ROUNDS : 0,
      hardened: flags.hardened,
      timeout: job.timeout,
      say: ctx.say,
      rounds: contexts.rounds,
    });
  } finally {
    await opened.release?.();
  }
  await unlessInterrupted();
  // Only what passed is written: a Dockerfile that gives a failing image is no output of verify.
  if (out && report.pass) writeAtomically(contexts.output(report.added));
  if (!report.pass) process.exitCode = EXIT_CODES.MISMATCH;
  if (!ctx.json) {
    for (const n of notes) process.stderr.write(`scratchify: ${n}\n`);
    for (const w of warnings) process.stderr.write(`scratchify: warning: ${w}\n`);
    process.stdout.write(`${reportLines(report, out).join('\n')}\n`);
  }
  return verifyJson(report, out, warnings);
}
