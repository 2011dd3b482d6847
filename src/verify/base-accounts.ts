import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePasswd } from '../generate/accounts.js';
import type { Root } from '../rootfs/root.js';

/** True when `passwd` has an entry for `user` (a name, a uid, or either with `:group`). */
function hasEntry(passwd: string | undefined, user: string): boolean {
  const who = user.split(':')[0];
  return parsePasswd(passwd).some((a) => a.name === who || String(a.uid) === who);
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
  if (!user || /^0(:|$)|^root(:|$)/.test(user) || hasEntry(baseRoot.readText('/etc/passwd'), user)) return [];
  const image = await built();
  const passwd = image.readText('/etc/passwd');
  const group = image.readText('/etc/group');
  if (!hasEntry(passwd, user) || passwd === undefined || group === undefined) return [];
  writeFileSync(join(dir, 'base-passwd'), passwd);
  writeFileSync(join(dir, 'base-group'), group);
  return ['-v', `${join(dir, 'base-passwd')}:/etc/passwd:ro`, '-v', `${join(dir, 'base-group')}:/etc/group:ro`];
}
