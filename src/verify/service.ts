import type { BroughtIn } from '../engine/bring-in.js';
import type { Hardened } from '../generate/hardening.js';
import type { Leftovers } from '../engine/cleanup.js';
import type { Engine } from '../engine/engine.js';
import type { ImageInfo } from '../engine/image.js';
import { runSession, type SessionResult, type Step } from '../engine/session.js';
import type { TracedPath } from '../engine/strace-log.js';
import type { TraceMethod } from '../engine/tracer.js';
import { snapshotVolumes, type VolumeSpec } from '../engine/volumes.js';
import { ScratchifyError } from '../errors.js';
import type { Root } from '../rootfs/root.js';
import { compareSessions, failsInBase, oneLine, type ProbeOutcome, stepName } from './service-compare.js';
import { type MissingPath, missingPaths } from './compare.js';

/** What verify does to a service: the steps in order, the volumes it runs on, and how long each part may take. */
export interface ServiceRequest {
  steps: Step[];
  volumes: VolumeSpec[];
  /** Seconds to become ready, and for each client command. */
  timeout: number;
  /** Seconds `docker stop` waits before it kills. */
  stopTimeout: number;
  /** Run the scratch image's service hardened (--hardened), the base's as usual. */
  hardened?: Hardened;
}

export interface ServiceCheck {
  pass: boolean;
  outcomes: ProbeOutcome[];
  missing: MissingPath[];
  /** The scratch service's last lines of output, when it failed. */
  logs?: string;
}

/** The loader's failures, and the kernel's when there is no loader to run the program (the engines' words). */
export const LOADER_FAILURE =
  /error while loading shared libraries|not found \(required by|cannot open shared object|exec .*: no such file or directory|exec format error|executable file not found/i;

/**
 * Starts the service in the base and in the scratch image (each on its own copy of the volumes, in a network
 * namespace of its own), does the same steps to both and compares. The base's sessions are made once: it does
 * not change between --fix rounds. On a difference both are started again under the tracer, with the same steps,
 * and what the base's service used that the scratch image lacks is named.
 */
export class ServiceVerifier {
  private base?: SessionResult;
  private baseTrace?: SessionResult;

  constructor(
    private readonly engine: Engine,
    private readonly image: ImageInfo,
    private readonly req: ServiceRequest,
    private readonly prober: BroughtIn,
    private readonly method: TraceMethod,
    private readonly leftovers: Leftovers,
    private readonly say: (line: string) => void,
  ) {}

  private async session(
    image: string,
    command: string[] | undefined,
    user: string | undefined,
    traced: boolean,
    hardened?: Hardened,
  ): Promise<SessionResult> {
    const volumes = await snapshotVolumes(this.engine, this.req.volumes, this.image.id, this.prober, this.leftovers);
    return runSession(this.engine, {
      launch: { image, command, user, volumes, tracer: traced ? this.method.tracer : undefined, qemu: traced && this.method.qemu },
      steps: this.req.steps,
      prober: this.prober,
      clientImage: this.image.id,
      timeout: this.req.timeout,
      stopTimeout: this.req.stopTimeout,
      leftovers: this.leftovers,
      hardened,
    });
  }

  /** The base's session, refused when there is nothing to compare: it does not start, or a step fails there too. */
  private async baseSession(command: string[], user: string | undefined): Promise<SessionResult> {
    if (this.base) return this.base;
    this.say(`starting the service in ${this.image.ref}`);
    const base = await this.session(this.image.id, command, user, false);
    if (!base.start.ok)
      throw new ScratchifyError('NOTHING_TO_COMPARE', `the service does not start in the base either: ${base.start.why}`, {
        hint: `its last lines: ${oneLine(base.start.logs ?? base.logs)}`,
      });
    for (const o of base.observations) {
      const why = failsInBase(o);
      if (why)
        throw new ScratchifyError('NOTHING_TO_COMPARE', `${stepName(o.step)} fails in the base too: ${why}`, {
          hint: `pick a probe the service answers in ${this.image.ref}; its last lines: ${oneLine(base.logs)}`,
        });
    }
    this.base = base;
    return base;
  }

  /** What the base's traced service used, once it has been traced. */
  baseTracePaths(): TracedPath[] {
    return this.baseTrace?.paths ?? [];
  }

  async check(tag: string, built: ImageInfo, builtRoot: () => Promise<Root>, baseRoot: Root): Promise<ServiceCheck> {
    const command = [...(built.config.entrypoint ?? []), ...(built.config.cmd ?? [])];
    const user = built.config.user;
    const base = await this.baseSession(command, user);
    this.say('starting the service in the scratch image');
    const scratch = await this.session(tag, undefined, undefined, false, this.req.hardened);
    const outcomes = compareSessions(base, scratch);
    const pass = outcomes.every((o) => o.pass);
    if (pass) return { pass, outcomes, missing: [] };
    let missing: MissingPath[] = [];
    if (this.method.tracer || this.method.qemu) {
      this.say('tracing the service in both images');
      this.baseTrace ??= await this.session(this.image.id, command, user, true);
      const scratchTrace = await this.session(tag, command, user, true, this.req.hardened);
      missing = missingPaths(this.baseTrace.paths, scratchTrace.paths, baseRoot, await builtRoot());
    }
    return { pass, outcomes, missing, logs: scratch.start.logs ?? scratch.logs };
  }
}
