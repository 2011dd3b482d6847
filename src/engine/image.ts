import type { ExecaError } from 'execa';
import { ScratchifyError } from '../errors.js';
import { platformOfImage } from '../elf/platform.js';
import { onLoopback } from './registry.js';
import type { BaseConfig } from '../generate/base-config.js';
import { plainReference } from './docker-api.js';
import type { Engine } from './engine.js';

export interface ImageInfo {
  ref: string;
  id: string;
  repoDigests: string[];
  /** amd64, arm64, ... as the engine reports it. */
  architecture?: string;
  /** The image's platform, `linux/arm64`, `linux/arm/v7`, from its configuration. */
  platform?: string;
  /** The reference a Dockerfile pins: a multi-platform base's list at its digest, when the image came from one. */
  pinned?: string;
  /** Then also this platform's own image, at its digest (what a builder that cannot pick from a list is given). */
  platformRef?: string;
  /** The image's run configuration: what `run` does without flags. */
  config: BaseConfig;
}

interface RawHealthcheck {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

interface RawImage {
  Id: string;
  RepoDigests?: string[];
  Architecture?: string;
  Variant?: string;
  Os?: string;
  Config?: {
    User?: string;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
    StopSignal?: string;
    Labels?: Record<string, string> | null;
    Volumes?: Record<string, unknown> | null;
    Healthcheck?: RawHealthcheck | null;
  } | null;
  /** Podman reports the health check beside Config. */
  HealthCheck?: RawHealthcheck | null;
}

/** The engine's image config in scratchify's terms; Docker and Podman spell it alike, but for the health check. */
export function imageConfig(raw: RawImage): BaseConfig {
  const c = raw.Config ?? {};
  const h = c.Healthcheck ?? raw.HealthCheck ?? undefined;
  return {
    user: c.User || undefined,
    entrypoint: c.Entrypoint?.length ? c.Entrypoint : undefined,
    cmd: c.Cmd?.length ? c.Cmd : undefined,
    env: c.Env ?? [],
    workingDir: c.WorkingDir && c.WorkingDir !== '/' ? c.WorkingDir : undefined,
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
    stopSignal: c.StopSignal || undefined,
    labels: c.Labels ?? {},
    volumes: Object.keys(c.Volumes ?? {}).sort(),
    healthcheck: h?.Test?.length
      ? { test: h.Test, interval: h.Interval, timeout: h.Timeout, startPeriod: h.StartPeriod, retries: h.Retries }
      : undefined,
  };
}

export function firstLine(e: unknown): string {
  const err = e as ExecaError;
  return String(err.stderr || err.shortMessage || err)
    .trim()
    .split('\n')[0];
}

/** The image the engine has under `ref`, or undefined: never pulls. */
export async function localImage(engine: Engine, ref: string): Promise<ImageInfo | undefined> {
  const r = await engine.exec(['image', 'inspect', ref], { timeout: 60_000 });
  if (r.exitCode !== 0) return undefined;
  return fromRaw(ref, (JSON.parse(r.stdout) as RawImage[])[0]);
}

/** The image's ID, digests and configuration; pulls it once if the engine does not have it. */
export async function inspectImage(engine: Engine, ref: string): Promise<ImageInfo> {
  // Plain `image inspect` prints a JSON array with both engines (podman ignores a {{json .}} format).
  const inspect = async () => {
    // Through the API when it is at hand: the same JSON as the CLI's, without a process (a warm run starts none).
    const api = plainReference(ref) ? await engine.apiGet?.(`/images/${ref}/json`) : undefined;
    if (api?.status === 200) return JSON.parse(api.body) as RawImage;
    const parsed = JSON.parse(await engine.run(['image', 'inspect', ref])) as RawImage[];
    return parsed[0];
  };
  let raw: Awaited<ReturnType<typeof inspect>>;
  try {
    raw = await inspect();
  } catch (first) {
    try {
      // A registry on loopback speaks plain HTTP: docker allows it, podman must be told.
      const insecure = engine.name === 'podman' && onLoopback(ref) ? ['--tls-verify=false'] : [];
      await engine.run(['pull', ...insecure, ref], { timeout: 300_000 });
      raw = await inspect();
    } catch (e) {
      throw new ScratchifyError(
        'IMAGE_NOT_FOUND',
        `--base ${ref}: ${engine.name} has no such image and could not pull it (${firstLine(e) || firstLine(first)})`,
        {
          hint: `build, import or pull it first (e.g. ${engine.name} image ls)`,
          cause: e,
        },
      );
    }
  }
  return fromRaw(ref, raw);
}

function fromRaw(ref: string, raw: RawImage): ImageInfo {
  return {
    ref,
    id: raw.Id,
    repoDigests: raw.RepoDigests ?? [],
    architecture: raw.Architecture,
    platform: platformOfImage(raw.Os, raw.Architecture, raw.Variant),
    config: imageConfig(raw),
  };
}
