import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageSource, stageOf } from '../../src/cli/job/source.js';

describe('the source a job reads, worked out from the flags once', () => {
  const dockerfile = join(mkdtempSync(join(tmpdir(), 'scratchify-source-')), 'Dockerfile');
  writeFileSync(dockerfile, 'FROM scratch\n');

  it('a directory, then a stage of the user Dockerfile, then an image, else this machine', () => {
    expect(imageSource({ root: '/srv/r', base: 'img:1' })).toEqual({ kind: 'dir', dir: '/srv/r' });
    expect(imageSource({ dockerfile, target: 'build', base: 'img:1', 'build-network': 'none' })).toMatchObject({
      kind: 'stage',
      dockerfile,
      target: 'build',
      network: 'none',
    });
    expect(imageSource({ base: 'img:1', platform: 'linux/arm64' })).toEqual({ kind: 'image', ref: 'img:1', platform: 'linux/arm64' });
    expect(imageSource({})).toEqual({ kind: 'host' });
    expect(stageOf({ dockerfile })).toBeUndefined();
  });

  it('refuses what no engine could read, before any work', () => {
    expect(() => imageSource({ base: 'Not A Ref' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => imageSource({ dockerfile: '/no/such/Dockerfile', target: 'b' })).toThrow(
      expect.objectContaining({ code: 'INPUT_NOT_FOUND' }),
    );
  });
});
