import { ScratchifyError } from '../errors.js';
import type { Root } from '../rootfs/root.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
}

export interface Group {
  name: string;
  gid: number;
}

/** distroless's convention, which scanners and platform policies recognise. */
export const NONROOT: Account = { name: 'nonroot', uid: 65532, gid: 65532, gecos: 'nonroot', home: '/home/nonroot' };

export function parsePasswd(text: string | undefined): Account[] {
  return (text ?? '').split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 7 || l.startsWith('#') || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return [];
    return [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4], home: f[5] }];
  });
}

export function parseGroup(text: string | undefined): Group[] {
  return (text ?? '').split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 3 || l.startsWith('#') || !/^\d+$/.test(f[2])) return [];
    return [{ name: f[0], gid: Number(f[2]) }];
  });
}

export interface AccountsPlan {
  /** The USER line: name of the account the image runs as. */
  runAs: Account;
  passwd: string;
  group: string;
  /** Accounts written, for --json. */
  users: Account[];
}

/** Finds `--user NAME|UID[:GID]` among the base's accounts (a bare number need not be there). */
export function lookupUser(spec: string, accounts: Account[], groups: Group[]): Account {
  const [u, g] = spec.split(':');
  const byName = accounts.find((a) => a.name === u);
  const byUid = /^\d+$/.test(u) ? accounts.find((a) => a.uid === Number(u)) : undefined;
  let acct = byName ?? byUid;
  if (!acct && u === NONROOT.name) acct = NONROOT;
  if (!acct && /^\d+$/.test(u)) acct = { name: `uid${u}`, uid: Number(u), gid: Number(u), gecos: '', home: '/' };
  if (!acct) {
    throw new ScratchifyError('USAGE', `--user ${spec}: no such user in the base's /etc/passwd`, { hint: 'name an existing user, or give a numeric UID[:GID]' });
  }
  if (g !== undefined) {
    const gid = /^\d+$/.test(g) ? Number(g) : groups.find((x) => x.name === g)?.gid;
    if (gid === undefined) throw new ScratchifyError('USAGE', `--user ${spec}: no such group in the base's /etc/group`, { hint: 'use a numeric GID' });
    acct = { ...acct, gid };
  }
  return acct;
}

/**
 * /etc/passwd and /etc/group holding only root, the account the image runs as and the accounts the
 * program's configuration names, with no password hashes (the field is "x" and there is no shadow file).
 */
export interface BaseAccounts {
  accounts: Account[];
  groups: Group[];
}

/** The base's /etc/passwd and /etc/group, read once. */
export function readAccounts(root: Root): BaseAccounts {
  return { accounts: parsePasswd(root.readText('/etc/passwd')), groups: parseGroup(root.readText('/etc/group')) };
}

/** The base's root account, or the conventional one when its passwd lacks uid 0. */
export function rootAccount(accounts: Account[]): Account {
  return accounts.find((a) => a.uid === 0) ?? { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root' };
}

export function planAccounts({ accounts, groups }: BaseAccounts, runAs: Account, named: string[]): AccountsPlan {
  const users = new Map<number, Account>();
  const rootAcct = rootAccount(accounts);
  users.set(0, rootAcct);
  users.set(runAs.uid, runAs);
  const wantGroups = new Map<number, Group>();
  for (const n of named) {
    if (n.startsWith(':')) {
      const g = groups.find((x) => x.name === n.slice(1));
      if (g) wantGroups.set(g.gid, g);
      continue;
    }
    const a = accounts.find((x) => x.name === n);
    if (!a) throw new ScratchifyError('CONFIG_INVALID', `the configuration names user ${n}, who is not in the base's /etc/passwd`, { hint: 'add the user to the base image, or change the configuration' });
    users.set(a.uid, a);
  }
  for (const a of users.values()) {
    const g = groups.find((x) => x.gid === a.gid) ?? { name: a.gid === NONROOT.gid ? NONROOT.name : a.name, gid: a.gid };
    wantGroups.set(g.gid, g);
  }
  const sortedUsers = [...users.values()].sort((a, b) => a.uid - b.uid);
  const passwd = sortedUsers.map((a) => `${a.name}:x:${a.uid}:${a.gid}:${a.gecos}:${a.home}:/sbin/nologin`).join('\n') + '\n';
  const group = [...wantGroups.values()].sort((a, b) => a.gid - b.gid).map((g) => `${g.name}:x:${g.gid}:`).join('\n') + '\n';
  return { runAs, passwd, group, users: sortedUsers };
}
