import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generate.js';
import { loadAll } from '../../src/resolve/load.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import { FIXTURES } from '../helpers/paths.js';
import { helloRoot } from '../helpers/roots.js';

/** The hello fixture twice: as the program and as a plugin under /app/plugins. */
function root(): Root {
  const d = helloRoot();
  mkdirSync(join(d, 'app/plugins'));
  copyFileSync(join(FIXTURES, 'hello/hello'), join(d, 'app/plugins/plugin'));
  return new Root(new DirBackend(d));
}

describe("dlopen records its own reason; how stays the loader's account", () => {
  it('resolve --include and generate --include: how is {kind: include} with no owner, the reason beside it', () => {
    const { maps } = loadAll(root(), ['/app/hello'], ['/app/plugins']);
    const plugin = maps[0].objects.find((o) => o.path === '/app/plugins/plugin')!;
    expect(plugin.how).toEqual({ kind: 'include' });
    expect(plugin.dlopenReason).toBe('--include /app/plugins');

    const r = generate({
      root: root(),
      program: '/app/hello',
      args: [],
      includes: ['/app/plugins/*'],
      expose: [],
      source: 'test',
      command: 'scratchify /app/hello',
      dockerfileName: 'Dockerfile',
      scaffoldName: 'Dockerfile.scaffold.tar',
    });
    const obj = r.maps[0].objects.find((o) => o.path === '/app/plugins/plugin')!;
    expect(obj.how.owner).toBeUndefined();
    expect(r.plan.files.get('/app/plugins/plugin')?.reasons).toContain('--include /app/plugins/*');
  });
});
