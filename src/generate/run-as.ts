import type { ProfileResult } from '../profiles/types.js';
import { type Additions, noAdditions } from '../additions.js';
import type { Root } from '../rootfs/root.js';
import { type Account, type BaseAccounts, lookupUser, NONROOT, planAccounts, readAccounts, rootAccount } from './accounts.js';
import { type BaseConfig, baseUser } from './base-config.js';

/** Who the image runs as, its USER line, the accounts written, and the directories that go with them. */
export interface ImageAccounts {
  adds: Additions;
  runAs: Account;
  user: string;
  users: Account[];
  fromBase: boolean;
  base: BaseAccounts;
}

/**
 * Who the image runs as (--user; else the base's own USER when it is not root; else root when the program drops
 * privileges itself; else nonroot), and the accounts, home, /tmp, /run and the profile's writable directories.
 */
export function imageAccounts(
  input: { root: Root; user?: string; baseConfig?: BaseConfig },
  profile: ProfileResult | undefined,
  notes: string[],
): ImageAccounts {
  const { root } = input;
  const base = readAccounts(root);
  const config = input.baseConfig;
  const fromBase = config && !input.user ? baseUser(config, base) : undefined;
  let runAs: Account;
  const warnings: string[] = [];
  if (input.user) runAs = lookupUser(input.user, base.accounts, base.groups);
  else if (fromBase) runAs = fromBase;
  else if (profile?.needsRoot) runAs = rootAccount(base.accounts);
  else if (profile?.runsAs && base.accounts.some((a) => a.uid === profile.runsAs!.uid)) {
    runAs = base.accounts.find((a) => a.uid === profile.runsAs!.uid)!;
    notes.push(`runs as ${runAs.name}: ${profile.runsAs.why}`);
  } else if (profile?.runsAs) {
    // An owner only a volume or another image names: the base cannot say who it is, so the image does not guess.
    runAs = base.accounts.find((a) => a.uid === NONROOT.uid) ?? NONROOT;
    warnings.push(
      `${profile.runsAs.why.replace(/^it /, `uid ${profile.runsAs.uid} `)}, but the base's /etc/passwd has no account with that uid: the image runs as ${runAs.name} (${runAs.uid}), which the service may refuse; give --user ${profile.runsAs.uid} to run as the owner`,
    );
  } else runAs = base.accounts.find((a) => a.uid === NONROOT.uid) ?? NONROOT;
  if (fromBase) notes.push(`runs as ${config!.user}, the base image's USER`);
  const named = profile?.users ?? [];
  const asked = input.user ?? (fromBase ? config?.user : undefined);
  const acc = planAccounts(base, runAs, named, asked?.includes(':') === true);
  const adds = noAdditions({
    warnings,
    generated: [
      {
        path: '/etc/passwd',
        content: acc.passwd,
        reason: "the base's accounts without password hashes, and the account the image runs as",
      },
      { path: '/etc/group', content: acc.group, reason: "the base's groups" },
    ],
    dirs: [
      { path: '/tmp', mode: 0o1777, uid: 0, gid: 0, reason: 'world-writable /tmp with the sticky bit' },
      { path: '/run', mode: 0o755, uid: 0, gid: 0, reason: '/run' },
    ],
  });
  // A home the base has keeps its mode and owner (postgres's /var/lib/postgresql is 0755 there); one it lacks is the user's own.
  if (runAs.uid !== 0 && runAs.home !== '/')
    adds.dirs.push(
      root.lookup(runAs.home)?.entry.type === 'dir'
        ? { path: runAs.home, reason: `home of ${runAs.name}` }
        : { path: runAs.home, mode: 0o700, uid: runAs.uid, gid: runAs.gid, reason: `home of ${runAs.name}` },
    );
  const worker = named.find((n) => !n.startsWith(':'));
  const workerAcct = worker ? acc.users.find((u) => u.name === worker) : undefined;
  for (const w of profile?.writable ?? []) {
    // A worker user only applies when the program starts as root and switches; otherwise it runs as runAs.
    const owner = w.owner === 'worker' && workerAcct && runAs.uid === 0 ? workerAcct : runAs;
    // One the base already gives that owner keeps its mode (PostgreSQL's 2775 socket directory).
    const e = root.lookup(w.path)?.entry;
    if (e?.type === 'dir' && e.uid === owner.uid) adds.dirs.push({ path: w.path, reason: w.reason, writable: true });
    else
      adds.dirs.push({
        path: w.path,
        mode: owner.uid === 0 ? 0o755 : 0o700,
        uid: owner.uid,
        gid: owner.gid,
        reason: w.reason,
        writable: true,
      });
  }
  return { adds, runAs, user: acc.user, users: acc.users, fromBase: fromBase !== undefined, base };
}
