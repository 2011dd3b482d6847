import { ScratchifyError } from '../errors.js';
import type { Root } from '../rootfs/root.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface Group {
  name: string;
  gid: number;
  /** Supplementary members, comma separated as in /etc/group (initgroups reads them). */
  members: string;
}

/** distroless's convention, which scanners and platform policies recognise. */
export const NONROOT: Account = {
  name: 'nonroot',
  uid: 65532,
  gid: 65532,
  gecos: 'nonroot',
  home: '/home/nonroot',
  shell: '/sbin/nologin',
};

export function parsePasswd(text: string | undefined): Account[] {
  return (text ?? '').split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 7 || l.startsWith('#') || !f[0] || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return [];
    return [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4], home: f[5], shell: f[6] }];
  });
}

export function parseGroup(text: string | undefined): Group[] {
  return (text ?? '').split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 3 || l.startsWith('#') || !f[0] || !/^\d+$/.test(f[2])) return [];
    return [{ name: f[0], gid: Number(f[2]), members: f[3] ?? '' }];
  });
}

export interface AccountsPlan {
  /** The account the image runs as. */
  runAs: Account;
  /** The USER line's value (see userSpec). */
  user: string;
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
  if (!acct && /^\d+$/.test(u)) acct = { name: `uid${u}`, uid: Number(u), gid: Number(u), gecos: '', home: '/', shell: '/sbin/nologin' };
  if (!acct) {
    throw new ScratchifyError('USAGE', `--user ${spec}: no such user in the base's /etc/passwd`, {
      hint: 'name an existing user, or give a numeric UID[:GID]',
    });
  }
  if (g !== undefined) {
    const gid = /^\d+$/.test(g) ? Number(g) : groups.find((x) => x.name === g)?.gid;
    if (gid === undefined)
      throw new ScratchifyError('USAGE', `--user ${spec}: no such group in the base's /etc/group`, { hint: 'use a numeric GID' });
    acct = { ...acct, gid };
  }
  return acct;
}

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
  return accounts.find((a) => a.uid === 0) ?? { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/sbin/nologin' };
}

/**
 * /etc/passwd and /etc/group for the scratch image: every account and group of the base, as programs switch to
 * accounts named in their configuration, on their command line or compiled in (nobody, _chrony, proxy), and no
 * narrower rule can know them all; plus the account the image runs as and nonroot (65532) when the base lacks
 * them. Password fields are "x" and there is no shadow file, so no hash is carried. Shells stay as in the base.
 */
export function planAccounts({ accounts, groups }: BaseAccounts, runAs: Account, named: string[], explicitGroup = false): AccountsPlan {
  for (const n of named) {
    const known = n.startsWith(':') ? groups.some((g) => g.name === n.slice(1)) : accounts.some((a) => a.name === n);
    if (!known) {
      const what = n.startsWith(':')
        ? `group ${n.slice(1)}, which is not in the base's /etc/group`
        : `user ${n}, who is not in the base's /etc/passwd`;
      throw new ScratchifyError('CONFIG_INVALID', `the configuration names ${what}`, {
        hint: 'add it to the base image, or change the configuration',
      });
    }
  }
  const users = accounts.length ? [...accounts] : [rootAccount(accounts)];
  for (const extra of [runAs, NONROOT]) {
    if (!users.some((a) => a.uid === extra.uid || a.name === extra.name)) users.push(extra);
  }
  const allGroups = [...groups];
  for (const a of users) {
    if (!allGroups.some((g) => g.gid === a.gid))
      allGroups.push({ name: allGroups.some((g) => g.name === a.name) ? `gid${a.gid}` : a.name, gid: a.gid, members: '' });
  }
  const passwd = users.map((a) => `${a.name}:x:${a.uid}:${a.gid}:${a.gecos}:${a.home}:${a.shell}\n`).join('');
  const group = allGroups.map((g) => `${g.name}:x:${g.gid}:${g.members}\n`).join('');
  return { runAs, user: userSpec(runAs, users, allGroups, explicitGroup), passwd, group, users };
}

/** The groups that list `name` as a supplementary member. */
function supplementaryGroups(name: string, groups: readonly Group[]): Group[] {
  return groups.filter((g) => g.members.split(',').some((m) => m.trim() === name));
}

/**
 * The USER line's value. Docker and Podman give a user its supplementary groups from the image's /etc/group for
 * `USER name` and `USER uid`, and none for `USER uid:gid` (measured; docs/commands.md, "Accounts"). A user with such groups
 * (postgres in ssl-cert, to read its TLS key) runs as `USER uid`: numeric, so Kubernetes' runAsNonRoot can check
 * it, and the engine takes the primary group from /etc/passwd. That holds only when the first passwd entry of
 * that uid is this account with that group, and no group was asked for (`--user 102:104` stays as asked).
 * Otherwise `uid:gid`, which means the same without such groups.
 */
export function userSpec(runAs: Account, users: readonly Account[], groups: readonly Group[], explicitGroup: boolean): string {
  const first = users.find((a) => a.uid === runAs.uid);
  const unambiguous = first?.name === runAs.name && first.gid === runAs.gid;
  if (!explicitGroup && unambiguous && supplementaryGroups(runAs.name, groups).length > 0) return `${runAs.uid}`;
  return `${runAs.uid}:${runAs.gid}`;
}
