import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Root } from '../rootfs/root.js';

/** The passwd entry for `user` (a name, a uid, or either with `:group`), or undefined. */
function entryFor(passwd: string | undefined, user: string): string | undefined {
  const who = user.split(':')[0];
  return passwd?.split('\n').find((l) => {
    const f = l.split(':');
    return f.length >= 7 && (f[0] === who || f[2] === who);
  });
}

/**
 * `-v` flags that give the base's run the scratch image's /etc/passwd and /etc/group, when the image runs as
 * an account its scaffold adds and the base lacks (a Go program's `nonroot` 65532 in a base without it): run
 * as a uid it has no entry for, the base fails where the scratch image does not (Go's os/user:
 * "unknown userid 65532"), and the comparison would be of the accounts, not of the program. None otherwise.
 */
export async function baseAccountMounts(
  baseRoot: Root,
  built: () => Promise<Root>,
  user: string | undefined,
  dir: string,
): Promise<string[]> {
  if (!user || /^0(:|$)|^root(:|$)/.test(user) || entryFor(baseRoot.readText('/etc/passwd'), user)) return [];
  const image = await built();
  const passwd = image.readText('/etc/passwd');
  const group = image.readText('/etc/group');
  if (!entryFor(passwd, user) || passwd === undefined || group === undefined) return [];
  writeFileSync(join(dir, 'base-passwd'), passwd);
  writeFileSync(join(dir, 'base-group'), group);
  return ['-v', `${join(dir, 'base-passwd')}:/etc/passwd:ro`, '-v', `${join(dir, 'base-group')}:/etc/group:ro`];
}
