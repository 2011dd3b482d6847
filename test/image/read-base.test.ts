import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScratchifyError } from '../../src/errors.js';
import { type BuiltImage, buildImage, MEDIA, type ImageSettings } from '../../src/image/oci.js';
import { readDockerArchive, readOciArchive, readOciDir } from '../../src/image/read-base.js';
import { dockerArchive, ociArchive, ociLayout, writeOciDir } from '../../src/image/write.js';

const settings = (platform: string): ImageSettings => ({
  entrypoint: ['/app'],
  cmd: null,
  user: '1000:1000',
  expose: [],
  env: ['A=1'],
  workdir: null,
  stopSignal: null,
  volumes: [],
  labels: {},
  healthcheck: null,
  platform,
});
const image = (platform: string, text: string): BuiltImage =>
  buildImage(
    [{ name: 'one', packages: [], entries: [{ type: 'file', path: '/app', mode: 0o755, uid: 0, gid: 0, content: Buffer.from(text) }] }],
    settings(platform),
    0,
  );

describe('a base read from files', () => {
  it('an OCI layout, a tag in it, an index of two platforms read for the one asked for', () => {
    const [amd, arm] = [image('linux/amd64', 'x86'), image('linux/arm64/v8', 'arm')];
    const dir = join(mkdtempSync(join(tmpdir(), 'scratchify-read-oci-')), 'layout');
    const files = [...ociLayout([amd], 'one'), ...ociLayout([arm], 'one').filter((f) => f.path.startsWith('blobs/'))];
    // A nested index naming both platforms' manifests, tagged `multi`.
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.index,
        manifests: [amd, arm].map((i) => ({
          mediaType: MEDIA.manifest,
          digest: i.manifest.digest,
          size: i.manifest.data.length,
          platform: i.platform,
        })),
      }),
    );
    const nestedDigest = `sha256:${createHash('sha256').update(nested).digest('hex')}`;
    files.push({ path: `blobs/sha256/${nestedDigest.slice(7)}`, data: nested });
    const index = JSON.parse(files[1].data.toString());
    index.manifests.push({
      mediaType: MEDIA.index,
      digest: nestedDigest,
      size: nested.length,
      annotations: { 'org.opencontainers.image.ref.name': 'multi' },
    });
    files[1] = { path: 'index.json', data: Buffer.from(JSON.stringify(index)) };
    writeOciDir(dir, files, false);

    const one = readOciDir(dir, 'one', undefined);
    expect(one.id).toBe(amd.config.digest);
    expect(one.layers.map((l) => l.digest)).toEqual(amd.layers.map((l) => l.digest));
    expect(one.layers[0].bytes()).toEqual(amd.layers[0].data);
    expect(readOciDir(dir, 'multi', 'linux/arm64/v8').id).toBe(arm.config.digest);
    expect(readOciDir(dir, 'multi', 'linux/amd64').config.architecture).toBe('amd64');
    expect(() => readOciDir(dir, 'multi', 'linux/s390x')).toThrow(/no image for linux\/s390x: it has linux\/amd64, linux\/arm64/);
    expect(() => readOciDir(dir, 'nope', undefined)).toThrow(ScratchifyError);
    expect(() => readOciDir(mkdtempSync(join(tmpdir(), 'x-')), undefined, undefined)).toThrow(/is not an OCI image layout/);
  });

  it('an OCI archive and a docker-archive give back the image written into them', () => {
    const img = image('linux/amd64', 'bytes');
    const d = mkdtempSync(join(tmpdir(), 'scratchify-read-archive-'));
    writeFileSync(join(d, 'oci.tar'), ociArchive([img], 'v1'));
    writeFileSync(join(d, 'docker.tar'), dockerArchive(img, 'team/app:1'));
    for (const read of [
      readOciArchive(join(d, 'oci.tar'), 'v1', undefined),
      readDockerArchive(join(d, 'docker.tar'), 'team/app:1'),
      readDockerArchive(join(d, 'docker.tar'), undefined),
    ]) {
      expect(read.id).toBe(img.config.digest);
      expect(read.config.config).toMatchObject({ Entrypoint: ['/app'], User: '1000:1000' });
      expect(read.layers.map((l) => l.bytes())).toEqual(img.layers.map((l) => l.data));
    }
    expect(() => readDockerArchive(join(d, 'docker.tar'), 'other:1')).toThrow(/no image tagged other:1/);
    expect(() => readDockerArchive(join(d, 'nope.tar'), undefined)).toThrow(/is not a file/);
  });

  it('a layout written for two platforms names their index by the tag, and each platform reads back', () => {
    const [amd, arm] = [image('linux/amd64', 'x86'), image('linux/arm64/v8', 'arm')];
    const dir = join(mkdtempSync(join(tmpdir(), 'scratchify-read-multi-')), 'layout');
    writeOciDir(dir, ociLayout([amd, arm], 'multi'), false);
    expect(readOciDir(dir, 'multi', 'linux/arm64/v8').id).toBe(arm.config.digest);
    expect(readOciDir(dir, 'multi', 'linux/amd64').id).toBe(amd.config.digest);
    expect(readOciDir(dir, undefined, 'linux/amd64').layers[0].bytes()).toEqual(amd.layers[0].data);
  });
});
