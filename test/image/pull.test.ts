import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScratchifyError } from '../../src/errors.js';
import { readRegistry } from '../../src/image/pull.js';

/*
 * Registries that misbehave as no real one does on purpose: a server of this test that answers each path as the
 * case needs (the real registry's own behaviour is in test/e2e/image.test.ts).
 */
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
const layer = Buffer.alloc(1024);
const manifest = (layerType = 'application/vnd.oci.image.layer.v1.tar', layerDigest = sha(layer)) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: layerType, digest: layerDigest, size: layer.length }],
    }),
  );

type Handler = (path: string, res: import('node:http').ServerResponse, auth?: string) => void;
const cases: Record<string, Handler> = {
  // A registry behind a token server (Docker Hub's scheme): 401 with a Bearer challenge, then the token it issued.
  bearer: (path, res, auth) => {
    if (path.startsWith('/token')) {
      const u = new URL(path, 'http://x');
      const ok = u.searchParams.get('scope') === 'repository:bearer:pull' && u.searchParams.get('service') === 'test-registry';
      return res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'issued' }));
    }
    if (auth !== 'Bearer issued')
      return res
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="http://${host}/token",service="test-registry",scope="repository:bearer:pull"`,
        })
        .end();
    if (path.includes('/manifests/'))
      return res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest());
    if (path.endsWith(sha(config))) return res.writeHead(200).end(config);
    res.writeHead(200).end(layer);
  },
  unauthorized: (_, res) => res.writeHead(401).end(),
  missing: (_, res) => res.writeHead(404).end(),
  broken: (_, res) => res.writeHead(500).end(),
  'wrong-digest': (_, res) => {
    const m = manifest();
    res
      .writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': sha('something else') })
      .end(m);
  },
  'unknown-type': (_, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest('application/x-mystery'));
  },
  'bad-blob': (path, res) => {
    if (path.includes('/manifests/'))
      return res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest());
    if (path.endsWith(sha(config))) return res.writeHead(200).end(config);
    res.writeHead(200).end(Buffer.alloc(1024, 1)); // not the layer its digest names
  },
  'cut-blob': (path, res) => {
    if (path.includes('/manifests/'))
      return res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest());
    if (path.endsWith(sha(config))) return res.writeHead(200).end(config);
    res.writeHead(200, { 'Content-Length': String(layer.length) });
    res.flushHeaders();
    // The connection closes mid-blob, once the first bytes are on their way.
    res.write(layer.subarray(0, 100), () => setTimeout(() => res.socket?.destroy(), 20));
  },
};

let host: string;

describe('a base read from a registry that misbehaves: one line naming the reference, nothing cached', () => {
  let server: Server;
  const blobs = mkdtempSync(join(tmpdir(), 'scratchify-pull-blobs-'));
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      const name = url.startsWith('/token') ? 'bearer' : (url.split('/')[2] ?? '');
      (cases[name] ?? cases.missing)(url, res, req.headers.authorization);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  const failure = async (name: string) => {
    const e = await readRegistry(`${host}/${name}:1`, 'linux/amd64', blobs).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e, name).toBeInstanceOf(ScratchifyError);
    const err = e as ScratchifyError;
    expect(err.message.startsWith(`--base docker://${host}/${name}:1: `), err.message).toBe(true);
    expect(err.message).not.toContain('\n');
    return err;
  };

  it('a registry behind a token server: the token asked for the pull scope, and the image read with it', async () => {
    const img = await readRegistry(`${host}/bearer:1`, 'linux/amd64', mkdtempSync(join(tmpdir(), 'scratchify-pull-bearer-')));
    expect(img.id).toBe(sha(config));
    expect(img.layers[0].bytes()).toEqual(layer);
  });

  it('401, 404 and 500: the status, and for 401 the login to run', async () => {
    expect((await failure('unauthorized')).hint).toContain(`skopeo login 127.0.0.1`);
    expect((await failure('missing')).message).toContain('answered 404');
    expect((await failure('broken')).message).toContain('answered 500');
  });

  it('a manifest that is not its digest, a layer of an unknown media type, a blob that is not its digest, a blob cut short', async () => {
    expect((await failure('wrong-digest')).message).toContain('does not match its digest');
    expect((await failure('unknown-type')).message).toContain('media type application/x-mystery');
    expect((await failure('bad-blob')).message).toContain('does not match its digest');
    const cut = await failure('cut-blob');
    expect(cut.message, cut.message).toMatch(/the registry stopped sending blob sha256:/);
    // Only the config, which matched, was kept: no damaged or partial blob.
    expect(readdirSync(blobs)).toEqual([sha(config).slice(7)]);
  });
});
