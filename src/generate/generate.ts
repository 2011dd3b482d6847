import { ScratchifyError } from '../errors.js';
import { isNginx, nginxProfile } from '../profiles/nginx.js';
import type { ProfileResult } from '../profiles/types.js';
import { globInRoot } from '../rootfs/glob.js';
import type { Root } from '../rootfs/root.js';
import { inputError, isElf } from '../resolve/load.js';
import { InputError, Resolver } from '../resolve/resolver.js';
import { missingOf } from '../resolve/report.js';
import type { LinkMap, LoadedObject, ResolveOptions } from '../resolve/types.js';
import { lookupUser, NONROOT, parseGroup, parsePasswd, planAccounts, type Account } from './accounts.js';
import { renderDockerfile } from './dockerfile.js';
import { Plan } from './plan.js';
import { writeScaffoldTar, type ScaffoldEntry } from './scaffold-tar.js';

export interface GenerateInput {
  root: Root;
  program: string;
  args: string[];
  includes: string[];
  user?: string;
  expose: string[];
  /** `ARG BASE=` value: a digest-pinned reference where the image has one. */
  baseRef?: string;
  baseComment?: string;
  source: string;
  command: string;
  dockerfileName: string;
  scaffoldName: string;
  resolve?: ResolveOptions;
}

export interface GenerateResult {
  dockerfile: string;
  scaffold: Buffer;
  plan: Plan;
  map: LinkMap;
  runAs: Account;
  users: Account[];
  profile?: ProfileResult;
  warnings: string[];
}

function reasonFor(o: LoadedObject): string {
  switch (o.how.kind) {
    case 'program': return `the program ${o.path}`;
    case 'include': return o.how.owner ?? `--include ${o.path}`;
    case 'interpreter': return `ELF interpreter (PT_INTERP)`;
    default: return `${o.name} for ${o.loader?.path ?? '?'} (${o.how.kind})`;
  }
}

const MINIMAL_NSSWITCH = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';

/** Resolves the program (and what its profile adds), plans the scratch image, and renders both outputs. */
export function generate(input: GenerateInput): GenerateResult {
  const { root } = input;
  const resolver = new Resolver(root, input.resolve);
  const plan = new Plan(root);
  let map: LinkMap;
  let profile: ProfileResult | undefined;
  try {
    map = resolver.loadProgram(input.program);
    if (isNginx(input.program)) profile = nginxProfile({ root, program: input.program, real: map.program.real });
    for (const m of profile?.dlopen ?? []) {
      const obj = resolver.dlopen(map, m.path);
      obj.how = { kind: 'include', owner: m.reason };
      plan.add(m.path, m.reason);
    }
    for (const pattern of input.includes) {
      const literal = !/[*?[{]/.test(pattern);
      if (literal && root.isDir(pattern)) {
        plan.add(pattern, `--include ${pattern}`);
        continue;
      }
      const matches = globInRoot(root, pattern);
      if (matches.length === 0) {
        throw new ScratchifyError('INPUT_NOT_FOUND', `--include ${pattern}: nothing matches in ${root.description}`, { hint: 'check the path inside the image' });
      }
      for (const m of matches) {
        plan.add(m, `--include ${pattern}`);
        if (isElf(resolver, root, m)) resolver.dlopen(map, m);
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw inputError(e, root);
    throw e;
  }

  if (map.missingInterpreter) {
    throw new ScratchifyError('INPUT_NOT_FOUND', `${input.program}: its interpreter ${map.missingInterpreter} is not in ${root.description}`, { hint: 'the program cannot start in this image either' });
  }
  const missing = missingOf([map]);
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.name} (needed by ${m.neededBy})`).join(', ');
    throw new ScratchifyError('UNRESOLVED', `not found in ${root.description}: ${list}`, {
      hint: `see the paths tried with: scratchify resolve ${input.program} --format tree; add the library to the base or use --include`,
    });
  }

  for (const o of map.objects) plan.add(o.path, reasonFor(o));
  if (map.objects.some((o) => o.how.kind === 'ld.so.cache')) {
    plan.add('/etc/ld.so.cache', 'the loader finds libraries through it, as in the base');
  }
  if (map.libc === 'glibc') plan.generate('/etc/nsswitch.conf', MINIMAL_NSSWITCH, 'glibc looks users and hosts up through it; files only');

  for (const f of profile?.files ?? []) plan.add(f.path, f.reason);
  for (const t of profile?.trees ?? []) plan.add(t.path, t.reason);

  // Who the image runs as: --user; else root when the program drops privileges itself; else nonroot.
  const accounts = parsePasswd(root.readText('/etc/passwd'));
  const groups = parseGroup(root.readText('/etc/group'));
  let runAs: Account;
  if (input.user) runAs = lookupUser(input.user, accounts, groups);
  else if (profile?.needsRoot) runAs = accounts.find((a) => a.uid === 0) ?? { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root' };
  else runAs = accounts.find((a) => a.uid === NONROOT.uid) ?? NONROOT;
  const named = profile?.users ?? [];
  const acc = planAccounts(root, runAs, named);
  plan.generate('/etc/passwd', acc.passwd, 'accounts: root, the runtime user and users the configuration names');
  plan.generate('/etc/group', acc.group, 'groups of those accounts');

  const worker = named.find((n) => !n.startsWith(':'));
  const workerAcct = worker ? acc.users.find((u) => u.name === worker) : undefined;
  plan.addDir('/tmp', 0o1777, 0, 0, 'world-writable /tmp with the sticky bit');
  plan.addDir('/run', 0o755, 0, 0, '/run');
  if (runAs.uid !== 0) plan.addDir(runAs.home, 0o700, runAs.uid, runAs.gid, `home of ${runAs.name}`);
  for (const w of profile?.writable ?? []) {
    const owner = w.owner === 'worker' && workerAcct ? workerAcct : runAs;
    plan.addDir(w.path, owner.uid === 0 ? 0o755 : 0o700, owner.uid, owner.gid, w.reason);
  }
  plan.finish();

  const scaffoldEntries: ScaffoldEntry[] = [
    ...plan.scaffoldDirs().map((d) => ({ type: 'dir' as const, path: d.path, mode: d.mode, uid: d.uid, gid: d.gid })),
    ...[...plan.links].map(([path, target]) => ({ type: 'symlink' as const, path, target })),
    ...[...plan.generated].map(([path, g]) => ({ type: 'file' as const, path, mode: g.mode, uid: 0, gid: 0, content: g.content })),
  ];
  const dockerfile = renderDockerfile(plan, {
    source: input.source,
    command: input.command,
    dockerfile: input.dockerfileName,
    scaffold: input.scaffoldName,
    baseRef: input.baseRef,
    baseComment: input.baseComment,
    user: `${runAs.uid}:${runAs.gid}`,
    entrypoint: [input.program, ...(profile?.defaultArgs ?? []), ...input.args],
    expose: input.expose,
  });
  return {
    dockerfile,
    scaffold: writeScaffoldTar(scaffoldEntries),
    plan,
    map,
    runAs,
    users: acc.users,
    profile,
    warnings: [...resolver.warnings, ...(profile?.warnings ?? []), ...plan.warnings],
  };
}
