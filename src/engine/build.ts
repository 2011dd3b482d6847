import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { ExecaError } from 'execa';
import { ScratchifyError } from '../errors.js';
import type { Engine } from './engine.js';

/**
 * Builds one stage of the user's own Dockerfile so its filesystem can be read, and returns the image tag.
 * A docker client without the buildx plugin cannot use BuildKit; the classic builder then builds the stage.
 */
export async function buildStage(engine: Engine, dockerfile: string, target: string, network?: string): Promise<string> {
  const file = resolvePath(dockerfile);
  const tag = `scratchify-stage/${target.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}:${createHash('sha256').update(`${file}\0${target}`).digest('hex').slice(0, 12)}`;
  const args = ['build', '-q', '-f', file, '--target', target, '-t', tag, ...(network ? ['--network', network] : []), dirname(file)];
  try {
    await engine.run(args, { timeout: 1_800_000 });
  } catch (e) {
    const err = e as ExecaError;
    const text = String(err.stderr ?? err.message);
    if (engine.name === 'docker' && /buildx/.test(text)) {
      try {
        await engine.run(args, { timeout: 1_800_000, env: { DOCKER_BUILDKIT: '0' } });
        return tag;
      } catch (e2) {
        throw stageError(dockerfile, target, e2);
      }
    }
    throw stageError(dockerfile, target, e);
  }
  return tag;
}

function stageError(dockerfile: string, target: string, e: unknown): ScratchifyError {
  const err = e as ExecaError;
  const lines = String(err.stderr || err.shortMessage || err)
    .trim()
    .split('\n');
  return new ScratchifyError(
    'IMAGE_NOT_FOUND',
    `--dockerfile ${dockerfile} --target ${target}: the stage did not build (${lines[lines.length - 1]})`,
    {
      hint: 'build it yourself once to see the whole error; offline, pass --build-network none',
      cause: e,
    },
  );
}

/**
 * Builds a generated build context (Dockerfile and scaffold) into `tag`, offline; `dockerfile` is a name in `dir`
 * or an absolute path elsewhere. Docker builds with BuildKit,
 * or with the classic builder when its client has no buildx; Podman with Buildah. Errors name the step.
 */
export async function buildContext(
  engine: Engine,
  dir: string,
  tag: string,
  dockerfile = 'Dockerfile',
  platform?: string,
  buildArgs: Record<string, string> = {},
): Promise<void> {
  // --platform labels the image with the base's platform (BuildKit takes it from nothing else).
  const args = [
    'build',
    '-q',
    '--network',
    'none',
    ...(platform ? ['--platform', platform] : []),
    ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    '-f',
    isAbsolute(dockerfile) ? dockerfile : `${dir}/${dockerfile}`,
    '-t',
    tag,
    dir,
  ];
  const env = engine.name === 'docker' ? { DOCKER_BUILDKIT: '1' } : undefined;
  try {
    await engine.run(args, { timeout: 1_800_000, env });
  } catch (e) {
    const text = String((e as ExecaError).stderr ?? (e as Error).message);
    if (engine.name === 'docker' && /buildx/.test(text)) {
      // The classic builder keeps each step as an image and reuses them across builds: another process
      // removing its own image (verify does) then removes steps this build is about to reuse ("unable to find
      // image sha256:..."). Without its cache, a build shares no steps with anyone else's.
      try {
        await engine.run([...args.slice(0, 1), '--no-cache', '--force-rm', ...args.slice(1)], {
          timeout: 1_800_000,
          env: { DOCKER_BUILDKIT: '0' },
        });
        return;
      } catch (e2) {
        throw buildError(e2);
      }
    }
    throw buildError(e);
  }
}

function buildError(e: unknown): ScratchifyError {
  const err = e as ExecaError;
  const all = String(err.stderr || err.shortMessage || err)
    .trim()
    .split('\n')
    .filter(Boolean);
  const errors = all.filter((l) => /error|failed/i.test(l));
  const why = errors[errors.length - 1] ?? all[all.length - 1] ?? `exit status ${err.exitCode}`;
  return new ScratchifyError('BUILD_FAILED', `the generated Dockerfile did not build (${why})`, {
    hint: 'build it yourself (docker build --network none .) to see the whole log',
    cause: e,
  });
}
