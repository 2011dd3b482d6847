import { createHash } from 'node:crypto';
import { platformOfImage } from '../elf/platform.js';
import { ScratchifyError } from '../errors.js';
import { splitRemote } from '../image/pull.js';
import { authorize, isLoopback, registryUrl } from '../image/registry-auth.js';

/** A reference split as the registry API wants it. */
export interface RemoteRef {
  registry: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
}

/** The platforms of a multi-platform image, each with the digest of its own manifest, and the list's digest. */
export interface ManifestList {
  digest: string;
  platforms: { platform: string; digest: string }[];
}

const LIST_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const ONE_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
const MAX_MANIFEST = 4 << 20;

/** `host[:port]/path[:tag|@digest]`; a name without a registry host is Docker Hub's, as the engines read it. */
export function parseRemote(ref: string): RemoteRef {
  return splitRemote(ref);
}

/**
 * The image index (manifest list) `ref` names, read from its registry: each platform with its manifest's digest,
 * and the list's own digest, the one a Dockerfile pins. Undefined when `ref` names a single-platform image.
 */
export async function manifestList(ref: string): Promise<ManifestList | undefined> {
  const remote = parseRemote(ref);
  const url = `${registryUrl(remote.registry)}/${remote.repository}/manifests/${remote.reference}`;
  const accept = [...LIST_TYPES, ...ONE_TYPES].join(', ');
  const get = (auth?: string) =>
    fetch(url, { headers: { Accept: accept, ...(auth ? { Authorization: auth } : {}) }, signal: AbortSignal.timeout(60_000) });
  let r: Response;
  try {
    r = await get();
    if (r.status === 401) {
      const t = await authorize(r.headers.get('www-authenticate') ?? '', `repository:${remote.repository}:pull`, remote.registry);
      if (t) r = await get(t);
    }
  } catch (e) {
    throw new ScratchifyError(
      'IMAGE_NOT_FOUND',
      `--base ${ref}: its registry ${remote.registry} does not answer (${(e as Error).message})`,
      {
        hint: 'check the registry address, or pull the image for each platform first',
        cause: e,
      },
    );
  }
  if (!r.ok)
    throw new ScratchifyError('IMAGE_NOT_FOUND', `--base ${ref}: the registry answers ${r.status} for its manifest`, {
      hint: 'check the name and tag (private registries: pull each platform with the engine, which has the credentials)',
    });
  const body = Buffer.from(await r.arrayBuffer());
  if (body.length > MAX_MANIFEST)
    throw new ScratchifyError('IMAGE_NOT_FOUND', `--base ${ref}: its manifest is over 4 MiB`, { hint: 'check the registry' });
  const type = (r.headers.get('content-type') ?? '').split(';')[0];
  if (!LIST_TYPES.includes(type)) return undefined;
  const digest = r.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const index = JSON.parse(body.toString('utf8')) as {
    manifests?: { digest: string; platform?: { os?: string; architecture?: string; variant?: string } }[];
  };
  const platforms = (index.manifests ?? [])
    .filter((m) => m.platform?.architecture && m.platform.architecture !== 'unknown')
    .map((m) => ({
      platform: platformOfImage(m.platform!.os, m.platform!.architecture, m.platform!.variant)!,
      digest: m.digest,
    }));
  return { digest, platforms };
}

/** The repository of a reference at a digest: one platform's image of a list, or the list pinned. */
export function atDigest(ref: string, digest: string): string {
  const name = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref.replace(/:[^:/]+$/, '');
  return `${name}@${digest}`;
}

/** Whether a reference names a registry the engines reach over plain HTTP (podman must be told). */
export function onLoopback(ref: string): boolean {
  return isLoopback(parseRemote(ref).registry);
}
