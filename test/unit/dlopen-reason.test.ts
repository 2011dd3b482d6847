import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generate.js';
import { loadAll } from '../../src/resolve/load.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import { FIXTURES } from '../helpers/paths.js';

/** The hello fixture twice (as a program and as a plugin), with this machine's loader and libc. */
function root(): Root {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-dlopen-'));
  for (const sub of ['lib64', 'lib/x86_64-linux-gnu', 'app/plugins', 'etc']) mkdirSync(join(d, sub), { recursive: true });
  copyFileSync('/lib64/ld-linux-x86-64.so.2', join(d, 'lib64/ld-linux-x86-64.so.2'));
  copyFileSync('/lib/x86_64-linux-gnu/libc.so.6', join(d, 'lib/x86_64-linux-gnu/libc.so.6'));
  copyFileSync(join(FIXTURES, 'hello/hello'), join(d, 'app/hello'));
  copyFileSync(join(FIXTURES, 'hello/hello'), join(d, 'app/plugins/plugin'));
  writeFileSync(join(d, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return new Root(new DirBackend(d));
}

describe("dlopen records its own reason; how stays the loader's account", () => {
  it('resolve --include and generate --include: how is {kind: include} with no owner, the reason beside it', () => {
    const { maps } = loadAll(root(), ['/app/hello'], ['/app/plugins']);
    const plugin = maps[0].objects.find((o) => o.path === '/app/plugins/plugin')!;
    expect(plugin.how).toEqual({ kind: 'include' });
    expect(plugin.dlopenReason).toBe('--include /app/plugins');

    const r = generate({
      root: root(), program: '/app/hello', args: [], includes: ['/app/plugins/*'], expose: [],
      source: 'test', command: 'scratchify /app/hello', dockerfileName: 'Dockerfile', scaffoldName: 'Dockerfile.scaffold.tar',
    });
    const obj = r.maps[0].objects.find((o) => o.path === '/app/plugins/plugin')!;
    expect(obj.how.owner).toBeUndefined();
    expect(r.plan.files.get('/app/plugins/plugin')?.reasons).toContain('--include /app/plugins/*');
  });
});
