import { ScratchifyError } from '../errors.js';
import { type Blob, type BuiltImage, buildIndex } from './oci.js';
import { namesRegistry, splitRemote } from './pull.js';
import { authorize, registryUrl } from './registry-auth.js';

/** What a push sent: the blobs the registry lacked, and those it had already (a layer another image shares). */
export interface Pushed {
  ref: string;
  digest: string;
  sent: { blobs: number; bytes: number };
  present: { blobs: number; bytes: number };
}

/** `host[:port]/path[:tag]` split for the API: a reference without a registry host is refused (no Hub pushes by accident). */
function split(ref: string): { registry: string; repository: string; tag: string } {
  if (!namesRegistry(ref))
    throw new ScratchifyError('USAGE', `--image docker://${ref}: name the registry, as in docker://127.0.0.1:5000/${ref}`, {
      hint: `give docker://REGISTRY/${ref}`,
    });
  const { registry, repository, reference } = splitRemote(ref);
  return { registry, repository, tag: reference };
}

/**
 * Pushes an image through the distribution API: each blob the registry does not have (a HEAD first), in one PUT
 * each, then the manifest under its tag. The tag is written last, so a push stopped part-way (Ctrl-C, a registry
 * that stops) leaves no tag that names a partial image, only blobs the registry collects.
 */
export async function pushImage(images: readonly BuiltImage[], ref: string): Promise<Pushed> {
  const { registry, repository, tag } = split(ref);
  const base = `${registryUrl(registry)}/${repository}`;
  let auth: string | undefined;
  const send = async (method: string, url: string, body?: Buffer, type?: string): Promise<Response> => {
    const go = () =>
      fetch(url, {
        method,
        // Node's fetch sends a Buffer as it is; the DOM's types do not list it.
        body: body as unknown as BodyInit | undefined,
        headers: { ...(auth ? { Authorization: auth } : {}), ...(type ? { 'Content-Type': type } : {}) },
        signal: AbortSignal.timeout(600_000),
      });
    let r = await go();
    if (r.status === 401 && !auth) {
      auth = await authorize(r.headers.get('www-authenticate') ?? '', `repository:${repository}:pull,push`, registry);
      if (auth) r = await go();
    }
    return r;
  };
  const fail = (what: string, r?: Response, e?: unknown): ScratchifyError =>
    new ScratchifyError(
      'OUTPUT_FAILED',
      `--image docker://${ref}: ${what}${r ? `: the registry answered ${r.status} ${r.statusText}` : `: ${(e as Error)?.message}`}`,
      {
        hint:
          r?.status === 401 || r?.status === 403
            ? `log in first (skopeo login ${registry}, podman login ${registry} or docker login ${registry})`
            : `check that ${registry} answers: curl ${registryUrl(registry)}/`,
        cause: e,
      },
    );
  // A blob another repository of the registry holds is mounted, not sent (the registry's catalog says which
  // repositories there are; a registry that lists none, or refuses, gets every blob sent).
  let others: string[] | undefined;
  const mounted = async (digest: string): Promise<boolean> => {
    others ??= await catalog(send, registry, repository);
    for (const from of others) {
      if (!(await send('HEAD', `${registryUrl(registry)}/${from}/blobs/${digest}`)).ok) continue;
      const r = await send('POST', `${base}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);
      if (r.status === 201) return true;
    }
    return false;
  };
  // Several platforms: each image's manifest by its digest, then their index under the tag.
  const top = images.length === 1 ? images[0].manifest : buildIndex(images);
  const out: Pushed = { ref, digest: top.digest, sent: { blobs: 0, bytes: 0 }, present: { blobs: 0, bytes: 0 } };
  const seen = new Set<string>();
  const blobs: Blob[] = images.flatMap((i) => [...i.layers, i.config]).filter((b) => !seen.has(b.digest) && seen.add(b.digest));
  try {
    for (const b of blobs) {
      const head = await send('HEAD', `${base}/blobs/${b.digest}`);
      if (head.ok) {
        out.present.blobs++;
        out.present.bytes += b.data.length;
        continue;
      }
      if (await mounted(b.digest)) {
        out.present.blobs++;
        out.present.bytes += b.data.length;
        continue;
      }
      const start = await send('POST', `${base}/blobs/uploads/`);
      if (start.status !== 202) throw fail(`starting the upload of ${b.digest}`, start);
      const at = new URL(start.headers.get('location') ?? '', `${base}/`);
      at.searchParams.set('digest', b.digest);
      const put = await send('PUT', at.toString(), b.data, 'application/octet-stream');
      if (put.status !== 201) throw fail(`uploading ${b.digest}`, put);
      out.sent.blobs++;
      out.sent.bytes += b.data.length;
    }
    if (images.length > 1)
      for (const i of images) {
        const m = await send('PUT', `${base}/manifests/${i.manifest.digest}`, i.manifest.data, i.manifest.mediaType);
        if (m.status !== 201) throw fail(`putting the manifest of ${i.platform.architecture}`, m);
      }
    const m = await send('PUT', `${base}/manifests/${tag}`, top.data, top.mediaType);
    if (m.status !== 201) throw fail(images.length > 1 ? 'putting the index' : 'putting the manifest', m);
  } catch (e) {
    if (e instanceof ScratchifyError) throw e;
    throw fail('the push stopped', undefined, e);
  }
  return out;
}

/** The registry's other repositories, up to a bound; none when it does not list them. */
async function catalog(send: (method: string, url: string) => Promise<Response>, registry: string, own: string): Promise<string[]> {
  try {
    const r = await send('GET', `${registryUrl(registry)}/_catalog?n=${MAX_CATALOG}`);
    if (!r.ok) return [];
    const body = (await r.json()) as { repositories?: unknown };
    return Array.isArray(body.repositories)
      ? body.repositories.filter((x): x is string => typeof x === 'string' && x !== own).slice(0, MAX_CATALOG)
      : [];
  } catch {
    return [];
  }
}

/** Repositories asked for a blob before it is sent instead. */
const MAX_CATALOG = 100;
