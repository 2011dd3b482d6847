import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupUser, NONROOT, parseGroup, parsePasswd, planAccounts, readAccounts } from '../../src/generate/accounts.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';

function rootWith(passwd: string, group: string): Root {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-acct-'));
  mkdirSync(join(d, 'etc'));
  writeFileSync(join(d, 'etc/passwd'), passwd);
  writeFileSync(join(d, 'etc/group'), group);
  return new Root(new DirBackend(d));
}

const PASSWD =
  'root:$6$hash:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\ndaemon:x:1:\nadm:x:4:syslog\nwww-data:x:33:\n';

describe('accounts in the scratch image', () => {
  it('every account and group of the base, no hash, nonroot added; shells and group members as in the base', () => {
    const root = rootWith(PASSWD, GROUP);
    const acc = planAccounts(readAccounts(root), NONROOT, ['www-data', ':adm']);
    expect(acc.passwd).toBe(
      'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n' +
        'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
    );
    expect(acc.group).toBe('root:x:0:\ndaemon:x:1:\nadm:x:4:syslog\nwww-data:x:33:\nnonroot:x:65532:\n');
    expect(acc.passwd).not.toContain('$6$');
  });

  it('a numeric --user the base lacks gets an account and a group of its own', () => {
    const accounts = parsePasswd(PASSWD);
    const acc = planAccounts({ accounts, groups: parseGroup(GROUP) }, lookupUser('1234', accounts, []), []);
    expect(acc.passwd).toContain('uid1234:x:1234:1234::/:/sbin/nologin\n');
    expect(acc.group).toContain('uid1234:x:1234:\n');
  });

  it('a user or group the configuration names but the base lacks is a config error', () => {
    expect(() => planAccounts(readAccounts(rootWith(PASSWD, GROUP)), NONROOT, ['nginx'])).toThrow(/names user nginx, who is not in/);
    expect(() => planAccounts(readAccounts(rootWith(PASSWD, GROUP)), NONROOT, [':nginx'])).toThrow(/names group nginx, which is not in/);
  });

  it('--user by name, by UID, with a group, and an unknown name', () => {
    const accounts = parsePasswd(PASSWD);
    const groups = parseGroup(GROUP);
    expect(lookupUser('www-data', accounts, groups)).toMatchObject({ uid: 33, gid: 33 });
    expect(lookupUser('1000', accounts, groups)).toMatchObject({ uid: 1000, gid: 1000 });
    expect(lookupUser('www-data:adm', accounts, groups)).toMatchObject({ uid: 33, gid: 4 });
    expect(lookupUser('nonroot', accounts, groups)).toMatchObject({ uid: 65532 });
    expect(() => lookupUser('nobody-here', accounts, groups)).toThrow(/no such user in the base's \/etc\/passwd/);
  });

  it('a user in supplementary groups runs as USER uid, which the engines give those groups; uid:gid otherwise, or when asked', () => {
    const passwd = `${PASSWD}postgres:x:102:104::/var/lib/postgresql:/bin/bash\nshadowed:x:102:105::/:/bin/sh\n`;
    const group = `${GROUP}ssl-cert:x:102:postgres,shadowed\npostgres:x:104:\n`;
    const base = readAccounts(rootWith(passwd, group));
    const plan = (spec: string) => planAccounts(base, lookupUser(spec, base.accounts, base.groups), [], spec.includes(':')).user;
    expect(plan('postgres')).toBe('102');
    expect(plan('102')).toBe('102');
    expect(plan('102:104')).toBe('102:104');
    expect(plan('www-data')).toBe('33:33');
    // A second account of the same uid is not what the engine finds first in /etc/passwd: its group is spelled out.
    expect(plan('shadowed')).toBe('102:105');
  });
});
