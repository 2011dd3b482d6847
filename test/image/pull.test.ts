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

type Handler = (path: string, res: import('node:http').ServerResponse) => void;
const cases: Record<string, Handler> = {
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

describe('a base read from a registry that misbehaves: one line naming the reference, nothing cached', () => {
  let server: Server;
  let host: string;
  const blobs = mkdtempSync(join(tmpdir(), 'scratchify-pull-blobs-'));
  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = (req.url ?? '').split('/')[2] ?? '';
      (cases[name] ?? cases.missing)(req.url ?? '', res);
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
