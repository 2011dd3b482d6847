import { ScratchifyError } from '../errors.js';
import type { UsedPath } from '../additions.js';
import { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';
import type { ImageInfo } from './image.js';
import { canRun, emulationHint } from './emulation.js';
import { prepareProber } from './prober.js';
import { runSession, type Step } from './session.js';
import { traceMethod } from './tracer.js';
import { snapshotVolumes, type VolumeSpec } from './volumes.js';

export interface ServiceTraceRequest {
  /** The entrypoint and arguments the scratch image will start, and its user. */
  command: string[];
  user: string;
  steps: Step[];
  volumes: VolumeSpec[];
  timeout: number;
  stopTimeout: number;
}

/**
 * generate --trace-service: starts the program as the scratch image will (same command and user) in a container
 * of the base, traced, waits until it is ready, makes the probes and client calls, and lists what every process
 * of the service used meanwhile: what requests open (a file an alias serves, a module a request loads) beside
 * what start-up opens. Everything it made is removed, also on Ctrl-C.
 */
export async function traceService(engine: Engine, image: ImageInfo, req: ServiceTraceRequest): Promise<UsedPath[]> {
  const { tracer, qemu } = traceMethod(image.architecture);
  if (!tracer && !qemu)
    throw new ScratchifyError(
      'ENGINE_UNAVAILABLE',
      `--trace-service: no strace on this machine for ${image.architecture ?? 'this image'}`,
      {
        hint:
          canRun(image.architecture) === 'no'
            ? emulationHint(image.architecture ?? '')
            : 'install strace here (apt-get install strace); the image needs none',
      },
    );
  const leftovers = new Leftovers(engine);
  if (tracer) leftovers.dir(tracer.dir);
  try {
    const prober = prepareProber();
    leftovers.dir(prober.dir);
    const volumes = await snapshotVolumes(engine, req.volumes, image.id, prober, leftovers);
    const session = await runSession(engine, {
      launch: { image: image.id, command: req.command, user: req.user, volumes, tracer, qemu },
      steps: req.steps,
      prober,
      clientImage: image.id,
      timeout: req.timeout,
      stopTimeout: req.stopTimeout,
      leftovers,
    });
    if (!session.start.ok)
      throw new ScratchifyError('NOTHING_TO_COMPARE', `--trace-service: the service does not start in ${image.ref}: ${session.start.why}`, {
        hint: `its last lines: ${session.start.logs?.trim().split('\n').slice(-5).join(' | ') ?? 'none'}`,
      });
    return session.paths.map((p) => ({
      path: p.path,
      use: p.use,
      reason: `${p.use === 'dir' ? 'listed or entered' : p.use === 'written' ? 'written' : 'used'} by the service while it answered its probes (--trace-service)`,
    }));
  } catch (e) {
    await leftovers.settle();
    throw e;
  } finally {
    await leftovers.remove();
  }
}
