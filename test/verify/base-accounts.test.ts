import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDirRoot } from '../../src/rootfs/open.js';
import { baseAccountMounts } from '../../src/verify/base-accounts.js';

function rootWith(passwd: string, group = 'root:x:0:\n') {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-accounts-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc/passwd'), passwd);
  writeFileSync(join(dir, 'etc/group'), group);
  return openDirRoot(dir);
}

describe("the base's run gets the image's accounts when it lacks the image's user", () => {
  const base = rootWith('root:x:0:0:root:/root:/bin/sh\npostgres:x:102:104::/var/lib/postgresql:/bin/sh\n');
  const image = rootWith('root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n', 'nonroot:x:65532:\n');
  const built = async () => image;

  it('mounts the image passwd and group read-only over the base when the user is one only the image has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-accounts-out-'));
    const flags = await baseAccountMounts(base, built, '65532:65532', dir);
    expect(flags).toEqual(['-v', `${dir}/base-passwd:/etc/passwd:ro`, '-v', `${dir}/base-group:/etc/group:ro`]);
    expect(readFileSync(join(dir, 'base-passwd'), 'utf8')).toContain('nonroot:x:65532');
  });

  it('changes nothing for root, for a user the base has, or one neither has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-accounts-out-'));
    for (const user of [undefined, '0:0', 'root', 'postgres', '102', '4242'])
      expect(await baseAccountMounts(base, built, user, dir)).toEqual([]);
  });
});
