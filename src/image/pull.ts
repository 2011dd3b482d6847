import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { checkLayerType, type LayeredImage, type OciConfig, platformOf, wantedPlatform } from './read-base.js';
import { authorize, registryUrl } from './registry-auth.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const MAX_MANIFEST = 4 << 20;
/** One layer of a base is at most this large. */
const MAX_BLOB = 8 * 1024 ** 3;

/** Whether a reference names its registry host (`registry.example/app`, `127.0.0.1:5000/app`, `localhost/app`). */
export function namesRegistry(ref: string): boolean {
  const first = ref.split('/')[0];
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/** `host[:port]/path[:tag|@digest]`; a name without a registry host is Docker Hub's, as the engines read it. */
export function splitRemote(ref: string): { registry: string; repository: string; reference: string } {
  const hosted = namesRegistry(ref);
  const at = ref.indexOf('@');
  let name = at >= 0 ? ref.slice(0, at) : ref;
  let reference = at >= 0 ? ref.slice(at + 1) : 'latest';
  const colon = name.lastIndexOf(':');
  if (at < 0 && colon > name.lastIndexOf('/')) {
    reference = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const first = name.split('/')[0];
  if (!hosted) return { registry: 'registry-1.docker.io', repository: name.includes('/') ? name : `library/${name}`, reference };
  return { registry: first, repository: name.slice(first.length + 1), reference };
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * An image read from its registry without an engine: the manifest (through an index, the platform asked for or
 * this machine's), the config, and each layer kept in `blobs` by digest, so a base whose only change is its top
 * layer downloads only that layer. Every blob is checked against its digest.
 */
export async function readRegistry(ref: string, platform: string | undefined, blobs: string): Promise<LayeredImage> {
  const remote = splitRemote(ref);
  const base = `${registryUrl(remote.registry)}/${remote.repository}`;
  let auth: string | undefined;
  const get = async (url: string, accept?: string): Promise<Response> => {
    const go = () =>
      fetch(url, {
        headers: { ...(accept ? { Accept: accept } : {}), ...(auth ? { Authorization: auth } : {}) },
        signal: AbortSignal.timeout(600_000),
      });
    let r: Response;
    try {
      r = await go();
      if (r.status === 401 && !auth) {
        auth = await authorize(r.headers.get('www-authenticate') ?? '', `repository:${remote.repository}:pull`, remote.registry);
        if (auth) r = await go();
      }
    } catch (e) {
      throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: ${remote.registry} does not answer (${(e as Error).message})`, {
        hint: `check the address: curl ${registryUrl(remote.registry)}/`,
        cause: e,
      });
    }
    if (!r.ok)
      throw new ScratchifyError(
        'IMAGE_NOT_FOUND',
        `--base docker://${ref}: the registry answered ${r.status} for ${url.slice(base.length + 1)}`,
        {
          hint:
            r.status === 401 || r.status === 403
              ? `log in first (skopeo login ${remote.registry}, podman login or docker login)`
              : 'check the name and tag (skopeo inspect docker://NAME:TAG lists what is there)',
        },
      );
    return r;
  };
  const body = async (r: Response, max: number, what: string): Promise<Buffer> => {
    let b: Buffer;
    try {
      b = Buffer.from(await r.arrayBuffer());
    } catch (e) {
      throw new ScratchifyError(
        'IMAGE_NOT_FOUND',
        `--base docker://${ref}: the registry stopped sending ${what} (${(e as Error).message})`,
        {
          hint: `check that ${remote.registry} answers, then run again: curl ${registryUrl(remote.registry)}/`,
          cause: e,
        },
      );
    }
    if (b.length > max)
      throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: ${what} is too large`, { hint: 'check the image' });
    return b;
  };
  const want = wantedPlatform(platform);
  let digest = remote.reference;
  let manifest: {
    mediaType?: string;
    manifests?: { digest: string; platform?: { os?: string; architecture?: string; variant?: string } }[];
    config?: { digest: string };
    layers?: { digest: string }[];
  } = {};
  for (let depth = 0; depth < 3; depth++) {
    const r = await get(`${base}/manifests/${digest}`, MANIFEST_TYPES.join(', '));
    const b = await body(r, MAX_MANIFEST, 'its manifest');
    const type = (r.headers.get('content-type') ?? '').split(';')[0];
    // Asked for by digest, the manifest must be that digest; by tag, the digest the registry says it is.
    const expected = digest.startsWith('sha256:') ? digest : r.headers.get('docker-content-digest');
    if (expected && sha256(b) !== expected)
      throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: its manifest does not match its digest ${expected}`, {
        hint: 'the registry or the network damaged it: pull again, or check the registry',
      });
    try {
      manifest = JSON.parse(b.toString('utf8'));
    } catch {
      throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: its manifest is not JSON`, { hint: 'check the registry' });
    }
    digest = sha256(b);
    if (!(MANIFEST_TYPES.slice(0, 2).includes(type) || manifest.manifests)) break;
    const entry = manifest.manifests?.find((m) => platformOf(m.platform) === want);
    if (!entry)
      throw new ScratchifyError(
        'PLATFORM_MISMATCH',
        `--base docker://${ref}: no image for ${want}; it has ${(manifest.manifests ?? []).map((m) => platformOf(m.platform)).join(', ')}`,
        {
          hint: 'give --platform with one of those',
        },
      );
    digest = entry.digest;
  }
  if (!manifest.config)
    throw new ScratchifyError(
      'IMAGE_NOT_FOUND',
      `--base docker://${ref}: its manifest (${manifest.mediaType ?? 'no media type'}) names no config: not an image scratchify reads`,
      { hint: 'give an image (skopeo inspect --raw shows what the reference names)' },
    );
  for (const l of manifest.layers ?? []) checkLayerType(`docker://${ref}`, l.digest, (l as { mediaType?: string }).mediaType);
  const blob = async (d: string): Promise<string> => {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(d)?.[1];
    if (!hex)
      throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: blob digest ${d} is not sha256`, { hint: 'check the image' });
    const path = join(blobs, hex);
    if (existsSync(path)) {
      // Its time says when it was last used: the cache's bound removes the least recently used first.
      const now = new Date();
      utimesSync(path, now, now);
      return path;
    }
    mkdirSync(blobs, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    // Streamed to a file as it arrives, hashed on the way, bounded: a blob is never held in memory whole.
    try {
      const r = await get(`${base}/blobs/${d}`);
      const hash = createHash('sha256');
      let size = 0;
      const fd = openSync(tmp, 'w');
      try {
        for await (const chunk of r.body ?? []) {
          size += chunk.length;
          if (size > MAX_BLOB)
            throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: blob ${d} is over ${MAX_BLOB / 1024 ** 3} GiB`, {
              hint: 'check the image',
            });
          hash.update(chunk);
          writeSync(fd, chunk);
        }
      } catch (e) {
        if (e instanceof ScratchifyError) throw e;
        throw new ScratchifyError(
          'IMAGE_NOT_FOUND',
          `--base docker://${ref}: the registry stopped sending blob ${d} (${(e as Error).message})`,
          {
            hint: `check that ${remote.registry} answers, then run again: curl ${registryUrl(remote.registry)}/`,
            cause: e,
          },
        );
      } finally {
        closeSync(fd);
      }
      if (`sha256:${hash.digest('hex')}` !== d)
        throw new ScratchifyError('IMAGE_NOT_FOUND', `--base docker://${ref}: blob ${d} does not match its digest`, {
          hint: 'pull again; the registry or the network damaged it',
        });
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
    return path;
  };
  const configBytes = readFileSync(await blob(manifest.config.digest));
  const config = JSON.parse(configBytes.toString('utf8')) as OciConfig;
  const layers = [];
  for (const l of manifest.layers ?? []) {
    const path = await blob(l.digest);
    layers.push({ digest: l.digest, bytes: () => readFileSync(path) });
  }
  return { ref: `docker://${ref}`, id: manifest.config.digest, config, configBytes, layers, manifestDigest: digest };
}
