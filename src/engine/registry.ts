import { createHash } from 'node:crypto';
import { ScratchifyError } from '../errors.js';

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
  const at = ref.indexOf('@');
  let name = at >= 0 ? ref.slice(0, at) : ref;
  let reference = at >= 0 ? ref.slice(at + 1) : 'latest';
  const colon = name.lastIndexOf(':');
  if (at < 0 && colon > name.lastIndexOf('/')) {
    reference = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const first = name.split('/')[0];
  const hosted = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hosted) return { registry: 'registry-1.docker.io', repository: name.includes('/') ? name : `library/${name}`, reference };
  return { registry: first, repository: name.slice(first.length + 1), reference };
}

/** Loopback registries speak plain HTTP, as docker and podman allow them to. */
function baseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const plain = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  return `${plain ? 'http' : 'https'}://${registry}/v2`;
}

/** An anonymous pull token, when the registry asks for one (Docker Hub, GHCR, Quay). */
async function token(challenge: string, repository: string): Promise<string | undefined> {
  const field = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(challenge)?.[1];
  const realm = field('realm');
  if (!realm) return undefined;
  const url = new URL(realm);
  url.searchParams.set('scope', field('scope') ?? `repository:${repository}:pull`);
  if (field('service')) url.searchParams.set('service', field('service')!);
  const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!r.ok) return undefined;
  const body = (await r.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

/**
 * The image index (manifest list) `ref` names, read from its registry: each platform with its manifest's digest,
 * and the list's own digest, the one a Dockerfile pins. Undefined when `ref` names a single-platform image.
 */
export async function manifestList(ref: string): Promise<ManifestList | undefined> {
  const remote = parseRemote(ref);
  const url = `${baseUrl(remote.registry)}/${remote.repository}/manifests/${remote.reference}`;
  const accept = [...LIST_TYPES, ...ONE_TYPES].join(', ');
  const get = (auth?: string) =>
    fetch(url, { headers: { Accept: accept, ...(auth ? { Authorization: `Bearer ${auth}` } : {}) }, signal: AbortSignal.timeout(60_000) });
  let r: Response;
  try {
    r = await get();
    if (r.status === 401) {
      const t = await token(r.headers.get('www-authenticate') ?? '', remote.repository);
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
      platform: `${m.platform!.os ?? 'linux'}/${m.platform!.architecture}${m.platform!.variant ? `/${m.platform!.variant}` : ''}`,
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
  const host = parseRemote(ref).registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}
