import { ScratchifyError } from '../errors.js';
import type { Root } from '../rootfs/root.js';
import { checkCanRun } from './emulation.js';
import type { UsedPath } from '../additions.js';
import type { Engine } from './engine.js';
import type { ImageInfo } from './image.js';
import { traceRun } from './trace.js';
import { Leftovers } from './cleanup.js';
import { prepareTracer } from './tracer.js';

/** A --trace-timeout value: seconds, a positive number. */
export function checkTraceTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ScratchifyError('USAGE', `--trace-timeout ${value}: not a number of seconds`, {
      hint: 'give seconds, e.g. --trace-timeout 120',
    });
  return n;
}

/** Runs each --trace command once, with one tracer brought in for all of them, and says what each used. */
export async function traceAll(
  engine: Engine,
  image: ImageInfo,
  commands: readonly string[],
  timeout: string,
  isProgram?: (path: string) => boolean,
  say: (line: string) => void = () => {},
): Promise<{ traced: UsedPath[]; warnings: string[]; notes: string[] }> {
  const traced: UsedPath[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  if (commands.length === 0) return { traced, warnings, notes };
  const seconds = checkTraceTimeout(timeout);
  checkCanRun(image.architecture, '--trace', image.platform);
  const tracer = prepareTracer(image.architecture) ?? null;
  // Ctrl-C during a run removes its container, its log and the tracer brought in.
  const leftovers = new Leftovers(engine);
  if (tracer) leftovers.dir(tracer.dir);
  try {
    for (const cmd of commands) {
      // One line per phase: a traced run can take a while, and a log that says nothing looks hung.
      say(`tracing '${cmd}' in ${image.ref}`);
      const started = Date.now();
      const t = await traceRun(engine, image.id, cmd, {
        timeout: seconds,
        architecture: image.architecture,
        tracer,
        label: image.ref,
        isProgram,
        leftovers,
      });
      say(`traced '${cmd}': ${t.paths.length} paths used, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      warnings.push(...t.warnings);
      if (t.leftOut.length)
        notes.push(
          `--trace '${cmd}': ${t.leftOut.length} paths only the processes around the program used (never the program or what it started) are left out: ${t.leftOut
            .slice(0, 5)
            .map((p) => p.path)
            .join(', ')}${t.leftOut.length > 5 ? ', ...' : ''}`,
        );
      const how = t.method === 'strace' ? 'strace' : 'LD_DEBUG';
      for (const p of t.paths)
        traced.push({
          path: p.path,
          use: p.use,
          reason: `${p.use === 'dir' ? 'listed or entered' : p.use === 'written' ? 'written' : 'used'} by --trace '${cmd}' (${how})`,
        });
    }
  } catch (e) {
    await leftovers.settle();
    throw e;
  } finally {
    await leftovers.remove();
  }
  return { traced, warnings, notes };
}

/** The program the image is for, as a test on the paths a run execs: the same file, whichever name it is run by. */
export function isProgram(root: Root, program: string): (path: string) => boolean {
  const real = root.lookup(program)?.path;
  return (path) => real !== undefined && root.lookup(path)?.path === real;
}
