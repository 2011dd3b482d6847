import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixCommand, fixedTag } from '../../src/doctor/fix-command.js';
import { openDirRoot } from '../../src/rootfs/open.js';

describe('the fix command doctor prints', () => {
  it('names the fixed image after the broken one', () => {
    expect(fixedTag('myorg/broken')).toBe('myorg/broken:fixed');
    expect(fixedTag('myorg/broken:1.2')).toBe('myorg/broken:1.2-fixed');
    expect(fixedTag('localhost:5000/app')).toBe('localhost:5000/app:fixed');
    expect(fixedTag(`app@sha256:${'a'.repeat(64)}`)).toBe('app:fixed');
    expect(fixedTag('0123456789ab')).toBe('scratchify-fixed');
  });

  it('builds an image from a Dockerfile on standard input, each line one quoted word', () => {
    const root = openDirRoot(mkdtempSync(join(tmpdir(), 'scratchify-fix-')));
    const cmd = fixCommand({ image: "it's/broken", root, engine: 'podman' }, [], [{ from: '/opt/a b/libx.so.1', to: '/lib/libx.so.1' }]);
    expect(cmd).toBe(
      `printf '%s\\n' 'FROM it'\\''s/broken AS broken' 'FROM broken' 'COPY --from=broken ["/opt/a b/libx.so.1", "/lib/libx.so.1"]' | podman build -t 'it'\\''s/broken:fixed' -`,
    );
  });

  it('in a directory, writes only inside it: an absolute link on the way is resolved inside the root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-fix-'));
    mkdirSync(join(dir, 'usr/lib'), { recursive: true });
    mkdirSync(join(dir, 'opt'));
    writeFileSync(join(dir, 'opt/libx.so.1'), '');
    // /lib -> /usr/lib: on this machine the same link would lead out of the root.
    symlinkSync('/usr/lib', join(dir, 'lib'));
    const root = openDirRoot(dir);
    const cmd = fixCommand({ dir, root, engine: 'docker' }, [], [{ from: '/opt/libx.so.1', to: '/lib/x/libx.so.1' }]);
    expect(cmd).toBe(`mkdir -p ${dir}/usr/lib/x && cp --remove-destination ${dir}/opt/libx.so.1 ${dir}/usr/lib/x/libx.so.1`);
  });

  it("prints no copies into this machine's own root", () => {
    expect(fixCommand({ dir: '/', root: openDirRoot('/'), engine: 'docker' }, [], [{ from: '/a', to: '/usr/lib/a' }])).toBeUndefined();
  });

  it('has nothing to print when nothing is to be copied', () => {
    const root = openDirRoot(mkdtempSync(join(tmpdir(), 'scratchify-fix-')));
    expect(fixCommand({ image: 'x', root, engine: 'docker' }, [], [])).toBeUndefined();
  });
});
