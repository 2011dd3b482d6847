import { describe, expect, it } from 'vitest';
import { ScratchifyError } from '../../src/errors.js';
import { parseImageTarget } from '../../src/image/transport.js';

describe('--image in skopeo transport names', () => {
  it('each transport, a tag defaulting to latest, a relative path from here', () => {
    expect(parseImageTarget('oci:/out/layout')).toEqual({ kind: 'oci', path: '/out/layout', tag: 'latest', tagged: false });
    expect(parseImageTarget('oci:/out/layout:v1')).toEqual({ kind: 'oci', path: '/out/layout', tag: 'v1', tagged: true });
    expect(parseImageTarget('oci-archive:img.tar')).toEqual({
      kind: 'oci-archive',
      path: `${process.cwd()}/img.tar`,
      tag: 'latest',
      tagged: false,
    });
    expect(parseImageTarget('docker-archive:/a.tar:reg.example:5000/team/app:1.2')).toEqual({
      kind: 'docker-archive',
      path: '/a.tar',
      ref: 'reg.example:5000/team/app:1.2',
    });
    expect(parseImageTarget('docker-archive:/a.tar')).toEqual({ kind: 'docker-archive', path: '/a.tar', ref: undefined });
    expect(parseImageTarget('docker-daemon:app')).toEqual({ kind: 'docker-daemon', ref: 'app:latest' });
    expect(parseImageTarget('docker://127.0.0.1:5000/app:2')).toEqual({ kind: 'docker', ref: '127.0.0.1:5000/app:2' });
  });

  it('bad forms: one line naming the input and the forms to use', () => {
    for (const bad of ['out.tar', 'tar:x', 'oci:', 'docker-daemon:App', 'docker:app', 'oci:/x:bad/tag']) {
      const e = (() => {
        try {
          parseImageTarget(bad);
        } catch (err) {
          return err;
        }
      })();
      expect(e, bad).toBeInstanceOf(ScratchifyError);
      expect((e as ScratchifyError).message.startsWith(`--image ${bad}:`), bad).toBe(true);
      expect((e as ScratchifyError).hint).toContain('oci:DIR[:TAG]');
    }
  });
});
