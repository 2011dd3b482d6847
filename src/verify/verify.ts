import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseAccountMounts } from './base-accounts.js';
import { type Context, type RoundSource, roundContext } from './rounds.js';
import { diagnose } from '../doctor/diagnose.js';
import { buildContext } from '../engine/build.js';
import { Leftovers } from '../engine/cleanup.js';
import type { Engine } from '../engine/engine.js';
import type { TracedPath } from '../engine/strace-log.js';
import { type ImageInfo, inspectImage } from '../engine/image.js';
import { cacheEntryDir, openImageRoot } from '../engine/image-cache.js';
import { loadArchive } from '../engine/load.js';
import { runContainer } from '../engine/run.js';
import { traceRun } from '../engine/trace.js';
import { hostArch, traceMethod } from '../engine/tracer.js';
import { splitWords } from '../engine/words.js';
import { ScratchifyError } from '../errors.js';
import type { UsedPath } from '../additions.js';
import type { Root } from '../rootfs/root.js';
import { prepareProber } from '../engine/prober.js';
import { throughSockets } from '../engine/probe-spec.js';
import { adjusted, type Hardened, hardenedArgs } from '../generate/hardening.js';
import { parentOf } from '../generate/plan.js';
import { COLLAPSE_AT, compareRuns, type MissingPath, missingPaths, type SmokeOutcome } from './compare.js';
import { LOADER_FAILURE, type ServiceCheck, type ServiceRequest, ServiceVerifier } from './service.js';

export interface VerifyRequest {
  engine: Engine;
  base: ImageInfo;
  baseRoot: Root;
  program: string;
  smokes: string[];
  /** Start the program as a service and probe it (--probe, --probe-cmd, --restart). */
  service?: ServiceRequest;
  compareStderr: boolean;
  /** The exit status the smoke commands must end with in the base (a failure expected alike in both). */
  smokeStatus: number;
  /** Rounds of --fix after the first run; 0 without --fix. */
  fixRounds: number;
  /** Run the scratch image hardened (read-only, capabilities dropped, tmpfs and volumes where it writes). */
  hardened?: boolean;
  /** Seconds each run (and each trace) may take. */
  timeout: number;
  /** What each round builds: the user's Dockerfile, or the plan generate makes, with what --fix added. */
  rounds: RoundSource;
  say: (line: string) => void;
}

export interface Round {
  outcomes: (SmokeOutcome & { missing: MissingPath[]; loader: string[] })[];
  service?: ServiceCheck & { loader: string[] };
}

export interface VerifyReport {
  pass: boolean;
  rounds: Round[];
  /** What --fix added, each with the smoke command whose base run used it. */
  added: UsedPath[];
  /** The context of the last round: with --fix, the one that passed (or the last tried). */
  context: Context;
  /** The hardened run's settings, when the scratch image ran hardened. */
  hardened?: Hardened;
}

/**
 * Builds the scratch image, runs each smoke command in it and in the base (same entrypoint, same user, no
 * network), and compares. A difference is explained from traces of both runs (this machine's strace brought
 * into each container): what the base run used that the scratch image lacks, and for loader failures what
 * doctor finds in the built image. With fix rounds, what was missing is added and the loop repeats until the
 * runs agree or nothing new is found. Every image it builds is removed, also on error or Ctrl-C.
 */
export async function verify(req: VerifyRequest): Promise<VerifyReport> {
  const { engine } = req;
  const leftovers = new Leftovers(engine);
  const method = traceMethod(req.base.architecture);
  const { tracer } = method;
  if (tracer) leftovers.dir(tracer.dir);
  const added: UsedPath[] = [];
  const rounds: Round[] = [];
  const dir = leftovers.dir(mkdtempSync(join(tmpdir(), 'scratchify-verify-')));
  let context = roundContext(req.rounds, added);
  // The base does not change between rounds: each smoke command runs (and is traced) there once.
  const baseRuns = new Map<string, Awaited<ReturnType<typeof runContainer>>>();
  const baseTraces = new Map<string, Awaited<ReturnType<typeof traceRun>>>();
  let services: ServiceVerifier | undefined;
  if (req.service) {
    const prober = prepareProber();
    leftovers.dir(prober.dir);
    const hints = context.service;
    const steps = hints
      ? req.service.steps.map((st) =>
          st.kind === 'probe' ? { ...st, probe: throughSockets([st.probe], hints.sockets, hints.uid, hints.user)[0] } : st,
        )
      : req.service.steps;
    services = new ServiceVerifier(
      engine,
      req.base,
      { ...req.service, steps, hardened: req.hardened ? hints?.hardened : undefined },
      prober,
      method,
      leftovers,
      req.say,
    );
  }
  // A smoke command's hardened run: its volumes anonymous (seeded from the image, gone with the container).
  const hardenedSmoke =
    req.hardened && context.service ? hardenedArgs(adjusted(context.service.hardened, { ports: [], mounted: [] }), () => undefined) : [];
  try {
    for (let round = 0; ; round++) {
      for (const f of context.files) writeFileSync(join(dir, f.name), f.data);
      const where = context.dir ?? dir;
      const tag = leftovers.image(`scratchify-verify/${randomBytes(6).toString('hex')}:${round}`);
      if (context.archive) {
        req.say('loading the scratch image');
        await loadArchive(engine, context.archive(tag), tag);
      } else {
        req.say(`building the scratch image (round ${round + 1})`);
        // A base taken from a multi-platform list is built from that platform's own image, pulled already: the
        // classic builder (a docker client without buildx) cannot pick a platform out of a list.
        const source = join(context.dockerfileInTemp ? dir : where, context.dockerfileName);
        const labeled = join(dir, `${context.dockerfileName}.scratchify-build`);
        const foreign = req.base.platform !== undefined && req.base.platform !== `linux/${hostArch()}`;
        writeFileSync(labeled, withBuildLabel(readFileSync(source, 'utf8'), leftovers.buildLabel, foreign));
        await leftovers.build(() =>
          buildContext(engine, where, tag, labeled, req.base.platform, req.base.platformRef ? { BASE: req.base.platformRef } : {}),
        );
      }
      const built = await inspectImage(engine, tag);
      const entrypoint = built.config.entrypoint ?? [req.program];
      const user = built.config.user;
      const outcomes: Round['outcomes'] = [];
      let builtRoot: Root | undefined;
      // A path the scratch image holds is not missing, even when its run failed before reaching it.
      // The image is thrown away at the end, and so is its export.
      const openBuilt = async () => {
        if (!builtRoot) leftovers.dir(cacheEntryDir(engine, built));
        builtRoot ??= await openImageRoot(engine, built);
        return builtRoot;
      };
      const accounts = req.smokes.length > 0 ? await baseAccountMounts(req.baseRoot, openBuilt, user, dir) : [];
      for (const smoke of req.smokes) {
        const argv = splitWords(smoke);
        const base =
          baseRuns.get(smoke) ??
          (await runContainer(engine, req.base.id, argv, { entrypoint, user, timeout: req.timeout, extraArgs: accounts }));
        baseRuns.set(smoke, base);
        if (base.exitCode !== req.smokeStatus && round === 0) {
          const expected =
            req.smokeStatus === 0 ? 'fails in the base too' : `ends in the base with status ${base.exitCode}, not ${req.smokeStatus}`;
          throw new ScratchifyError(
            'NOTHING_TO_COMPARE',
            `--smoke '${smoke}' ${expected} (exit status ${base.exitCode}${base.timedOut ? ', stopped at the time limit' : ''}): nothing to compare`,
            {
              hint: `pick a command that ends as expected in ${req.base.ref} as user ${user ?? 'root'} (--smoke-status N when it should fail alike); it printed ${printed(base)}`,
            },
          );
        }
        const scratch = await runContainer(engine, tag, argv, { timeout: req.timeout, extraArgs: hardenedSmoke });
        const outcome = compareRuns(smoke, base, scratch, req.compareStderr);
        let missing: MissingPath[] = [];
        let loader: string[] = [];
        if (!outcome.pass) {
          req.say(`tracing '${smoke}' in both images`);
          const trace = {
            argv,
            entrypoint,
            user,
            timeout: req.timeout,
            tracer,
            architecture: req.base.architecture,
            label: req.base.ref,
            leftovers,
          };
          const inBase = baseTraces.get(smoke) ?? (await traceRun(engine, req.base.id, smoke, trace));
          baseTraces.set(smoke, inBase);
          const inScratch = await traceScratch(engine, tag, smoke, { ...trace, label: 'the scratch image' });
          missing = missingPaths(inBase.paths, inScratch, req.baseRoot, await openBuilt());
          if (LOADER_FAILURE.test(scratch.stderr)) loader = loaderProblems(await openBuilt(), req.program);
        }
        outcomes.push({ ...outcome, missing, loader });
      }
      let service: Round['service'];
      if (services) {
        const checked = await services.check(tag, built, openBuilt, req.baseRoot);
        const loader = !checked.pass && LOADER_FAILURE.test(checked.logs ?? '') ? loaderProblems(await openBuilt(), req.program) : [];
        service = { ...checked, loader };
      }
      rounds.push({ outcomes, service });
      const failing = [
        ...outcomes.filter((o) => !o.pass).map((o) => ({ name: `'${o.smoke}'`, missing: o.missing })),
        ...(service && !service.pass ? [{ name: 'the service', missing: service.missing }] : []),
      ];
      if (failing.length === 0 || round >= req.fixRounds) break;
      const known = new Set(added.map((a) => a.path));
      // A directory the base's run created something in is added as that creation: its directory, writable.
      // One spelling per path: a trace names a directory both with and without its trailing slash.
      const bare = (p: string) => p.replace(/(.)\/+$/, '$1');
      const fresh = failing.flatMap((o) =>
        o.missing
          .map((m) =>
            m.created
              ? { path: `${bare(m.path)}/${m.created}`, use: 'written' as const, reason: `by ${o.name} in the base (--fix)` }
              : { path: bare(m.path), use: m.use, reason: `--fix: ${o.name} used it in the base` },
          )
          .filter((m) => !known.has(m.path)),
      );
      const listed = new Set(
        [...baseTraces.values()]
          .flatMap((t) => t.paths)
          .concat(services?.baseTracePaths() ?? [])
          .filter((p) => p.use === 'dir')
          .map((p) => p.path),
      );
      const unique = collapse([...new Map(fresh.map((f) => [f.path, f])).values()], req.baseRoot, listed);
      if (unique.length === 0) break;
      added.push(...unique);
      req.say(`--fix: adding ${unique.length} path${unique.length === 1 ? '' : 's'} and building again`);
      context = roundContext(req.rounds, added);
    }
  } catch (e) {
    await leftovers.settle();
    throw e;
  } finally {
    await leftovers.remove();
  }
  const last = rounds[rounds.length - 1];
  return {
    pass: last.outcomes.every((o) => o.pass) && (last.service?.pass ?? true),
    rounds,
    added,
    context,
    hardened:
      req.hardened && context.service
        ? adjusted(context.service.hardened, {
            ports: (req.service?.steps ?? []).flatMap((st) => (st.kind === 'probe' ? [st.probe.port] : [])),
            mounted: [],
          })
        : undefined,
  };
}

/**
 * The Dockerfile as verify builds it: a LABEL at the start of each stage that has steps of its own (after the
 * first one on scratch for another platform), which every image the build makes from there carries, the classic
 * builder's step images too (those of an earlier stage are left untagged even by a build that succeeds, and Ctrl-C
 * leaves whatever the daemon made after the client died): the label is how Leftovers finds them. A stage that is only its FROM (the base, taken for one platform) gets
 * none: a step there would make an image of it, which the classic builder labels with this machine's platform.
 */
export function withBuildLabel(dockerfile: string, label: string, foreign = false): string {
  const [key, value] = label.split('=');
  const lines = dockerfile.split('\n');
  // Instructions by their lines (a trailing backslash continues one), comments and blank lines left out.
  const instructions: { word: string; text: string; end: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*([A-Za-z]+)(\s|$)/.exec(lines[i]);
    if (!m) continue;
    let end = i;
    while (/\\\s*$/.test(lines[end]) && end + 1 < lines.length) end++;
    instructions.push({ word: m[1].toUpperCase(), text: lines.slice(i, end + 1).join(' '), end });
    i = end;
  }
  const labelAfter = new Set<number>();
  instructions.forEach((from, k) => {
    if (from.word !== 'FROM') return;
    let next = k + 1;
    while (instructions[next]?.word === 'ARG') next++;
    const step = instructions[next];
    if (!step || step.word === 'FROM') return;
    // On scratch for another platform, after the first step: a LABEL first would be committed with no parent to
    // take the platform from, so as this machine's, and the next step would not find it for the platform asked.
    labelAfter.add(foreign && /\sscratch(\s|$)/i.test(from.text) ? step.end : from.end);
  });
  return lines.flatMap((l, i) => (labelAfter.has(i) ? [l, `LABEL ${key}="${value}"`] : [l])).join('\n');
}

/**
 * What the smoke command used in the scratch image. A program that cannot even be executed there (its loader is
 * missing: the kernel's ENOENT) used nothing, and doctor says why; that is a finding, not the user's error.
 */
async function traceScratch(engine: Engine, tag: string, smoke: string, options: Parameters<typeof traceRun>[3]): Promise<TracedPath[]> {
  try {
    return (await traceRun(engine, tag, smoke, options)).paths;
  } catch (e) {
    if (e instanceof ScratchifyError && e.code === 'INPUT_NOT_FOUND') return [];
    throw e;
  }
}

/** doctor's findings for the program in the image just built (it failed the way the loader fails). */
function loaderProblems(root: Root, program: string): string[] {
  return diagnose(root, program).problems.map((p) => p.message);
}

/** The last lines a run printed on each stream: Go and many tools report their errors on standard output. */
function printed(run: { stdout: string; stderr: string }): string {
  const last = (t: string) =>
    t
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .slice(-3)
      .join(' | ');
  const streams = [
    ['on standard error', last(run.stderr)],
    ['on standard output', last(run.stdout)],
  ].filter(([, text]) => text);
  return streams.map(([where, text]) => `${where}: ${text}`).join('; ') || 'nothing on either stream';
}

/** The loader's library directories: never copied whole for what a run used in them. */
const LIBRARY_DIR = /^\/(usr\/)?(local\/)?lib(32|64|x32)?(\/[\w]+-linux-gnu\w*)?$/;

/**
 * Many missing paths under a directory the base's run listed (tzdata, a plugin directory it scans) become that
 * directory, copied whole: a program that lists a directory may use any of it. Anything else stays the paths the
 * run used, one by one, and a library directory of the loader's search is never copied whole.
 */
export function collapse(paths: UsedPath[], base: Root, listed: ReadonlySet<string>): UsedPath[] {
  const single: UsedPath[] = [];
  const groups = new Map<string, UsedPath[]>();
  for (const p of paths) {
    let dir: string | undefined;
    for (let d = parentOf(p.path); d !== '/' && !dir; d = parentOf(d)) if (listed.has(d)) dir = d;
    if (!dir || p.use === 'written' || LIBRARY_DIR.test(dir)) single.push(p);
    else groups.set(dir, [...(groups.get(dir) ?? []), p]);
  }
  return [
    ...single,
    ...[...groups].flatMap(([dir, ps]): UsedPath[] =>
      ps.length > COLLAPSE_AT && base.lookup(dir)?.entry.type === 'dir'
        ? [{ path: dir, use: 'read' as const, reason: `${ps[0].reason}: ${ps.length} paths under a directory it lists` }]
        : ps,
    ),
  ];
}
