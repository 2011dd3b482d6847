import { ScratchifyError } from '../errors.js';
import { goInfo, type GoInfo } from '../profiles/go.js';
import { profileFor } from '../profiles/registry.js';
import type { Because, ProfileResult, Use } from '../profiles/types.js';
import type { Root } from '../rootfs/root.js';
import { dlopenIncluded, isElf } from '../resolve/load.js';
import { Resolver } from '../resolve/resolver.js';
import { missingOf } from '../resolve/report.js';
import type { LinkMap, LoadedObject, ResolveOptions } from '../resolve/types.js';
import { runtimeNeeds, type RuntimeOptions } from '../runtime/needs.js';
import { lookupUser, NONROOT, planAccounts, readAccounts, rootAccount, type Account } from './accounts.js';
import { baseUser, carriedEntry, defaultArgsBeside, healthcheckProgram, runInstructions, type BaseConfig } from './base-config.js';
import { bundleEntries } from './bundle.js';
import { renderDockerfile } from './dockerfile.js';
import { entryPrograms } from './entry.js';
import { expandInclude, treeBytes } from '../rootfs/include.js';
import { type DpkgDatabase, readDpkg } from '../packages/dpkg.js';
import { compiledReferences } from '../profiles/references.js';
import { glibcDefaultDirs } from '../resolve/searchpath.js';
import { addPackageMarkers, writePackageMetadata, type PackageReport } from '../packages/metadata.js';
import { Plan, parentOf } from './plan.js';
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
  /** What the base image's configuration says about running it (ENV, WORKDIR, CMD, ...); kept in the image. */
  baseConfig?: BaseConfig;
  /** The OCI base-image labels: the base as named, and its registry digest when it has one. */
  baseName?: string;
  baseDigest?: string;
  /** The stage name to copy from instead of an ARG-selected base (--dockerfile --target). */
  fromStage?: string;
  source: string;
  command: string;
  dockerfileName: string;
  scaffoldName: string;
  resolve?: ResolveOptions;
  runtime?: RuntimeOptions;
  /** What traced runs used (--trace): each path, how the run used it, and the trace that saw it. */
  traced?: (Because & { use: Use })[];
  /** Copy what the program and its libraries name in their read-only data (on unless false). */
  references?: boolean;
  /** dpkg metadata for scanners (on unless enabled is false), with copyright files unless copyright is false. */
  packages?: { enabled?: boolean; copyright?: boolean };
  /**
   * 'copy' (default): COPY lines from the base plus a small scaffold archive. 'archive': the archive holds the
   * whole minimal root and the Dockerfile only ADDs it (no base image needed to build).
   */
  carrier?: 'copy' | 'archive';
}

export interface GenerateResult {
  dockerfile: string;
  /** The archive the Dockerfile ADDs: the scaffold, or with carrier 'archive' the whole root. */
  scaffold: Buffer;
  /** The whole minimal root as archive entries (scaffold first), for --bundle; built once, on first call. */
  bundle: () => ScaffoldEntry[];
  /** The exec-form ENTRYPOINT: the program, its profile's arguments, the user's. */
  entrypoint: string[];
  /** The CMD, when the base's own is kept (the program is the base's entrypoint). */
  cmd?: string[];
  /** The base configuration the image keeps (for --bundle's .scratchify.json). */
  kept?: BaseConfig;
  plan: Plan;
  /** The main program's process first; a script's interpreter chain adds one per program. */
  maps: LinkMap[];
  runAs: Account;
  users: Account[];
  profile?: ProfileResult;
  go?: GoInfo;
  /** Which dpkg package each copied file comes from; undefined when metadata is off or the base has no dpkg. */
  packages?: PackageReport;
  notes: string[];
  warnings: string[];
  /** Warnings that hold in almost every base and change nothing; printed with --verbose, kept in --json. */
  details: string[];
}

function reasonFor(o: LoadedObject): string {
  switch (o.how.kind) {
    case 'program':
      return `the program ${o.path}`;
    case 'include':
      return o.dlopenReason ?? `--include ${o.path}`;
    case 'interpreter':
      return 'ELF interpreter (PT_INTERP)';
    default:
      return `${o.name} for ${o.loader?.path ?? '?'} (${o.how.kind})`;
  }
}

/** Loads the program (or a script's interpreters), what its profile dlopens, and the ELF objects among --include. */
function load(input: GenerateInput, resolver: Resolver, plan: Plan, notes: string[]) {
  const { root } = input;
  const entry = entryPrograms(root, input.program);
  notes.push(...entry.notes);
  for (const s of entry.scripts) plan.add(s.path, s.reason);
  const maps = entry.programs.map((p) => resolver.loadProgram(p));
  const main = maps[maps.length - 1];
  const mainPath = entry.programs[entry.programs.length - 1];
  const profile = profileFor(root, mainPath, main.program.real, main.program.elf);
  if (profile) notes.push(...profile.notes);
  for (const m of profile?.dlopen ?? []) if (!m.ifElf || isElf(resolver, root, m.path)) resolver.dlopen(main, m.path, m.reason);
  for (const pattern of input.includes) {
    const match = expandInclude(root, pattern);
    for (const p of match.paths) plan.add(p, `--include ${pattern}`);
    dlopenIncluded(resolver, root, main, match, `--include ${pattern}`);
  }
  addTraced(input.traced ?? [], root, resolver, plan, main, notes);
  return { maps, main, profile };
}

/** Files the scaffold writes itself (the accounts), which a traced run's read must not replace. */
const SCAFFOLD_OWNED = new Set(['/etc/passwd', '/etc/group']);
const SECRETS = new Set(['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-']);

/**
 * What traced runs used, as the image needs it: a file the base has is copied (ELF ones resolved as if
 * dlopen'ed); a directory the run listed or entered is created with the base's mode and owner, not copied whole;
 * a file the run wrote gets its directory. Paths the base does not have were the run's own creations.
 */
function addTraced(traced: (Because & { use: Use })[], root: Root, resolver: Resolver, plan: Plan, main: LinkMap, notes: string[]): void {
  let files = 0;
  let dirs = 0;
  const secrets = new Set<string>();
  const objects: Because[] = [];
  for (const t of traced) {
    const target = t.use === 'written' ? parentOf(t.path) : t.path;
    // The scaffold writes the accounts itself; password hashes never travel.
    if (SCAFFOLD_OWNED.has(t.path) || target === '/') continue;
    if (SECRETS.has(t.path)) {
      secrets.add(t.path);
      continue;
    }
    const r = root.lookup(target);
    if (!r) continue;
    if (r.entry.type === 'dir') {
      plan.addDir(target, r.entry.mode & 0o7777, r.entry.uid, r.entry.gid, t.reason);
      dirs++;
    } else if (r.entry.type === 'file' && t.use === 'read') {
      plan.add(t.path, t.reason);
      files++;
      if (isElf(resolver, root, t.path)) objects.push(t);
    }
  }
  // The run loaded them together, in an order that worked: each finds the others by name.
  resolver.dlopenAll(main, objects);
  for (const p of secrets)
    notes.push(`a traced run read ${p}; it holds password hashes and is not copied (add it with --include if the program must have it)`);
  if (traced.length)
    notes.push(`traced runs used ${traced.length} paths: ${files} files of the base were added and ${dirs} directories created`);
}

/** A directory named on the command line is carried up to this size; past it, a warning says how to add it. */
export const MAX_ARGUMENT_DIR_BYTES = 64 << 20;

/** The filesystem hierarchy's own top-level directories: an argument naming one names a place, not the program's data. */
const SYSTEM_TOP = /^\/(bin|boot|dev|etc|home|lib\w*|media|mnt|opt|proc|root|run|sbin|srv|sys|tmp|usr|var)?$/;

/**
 * Files and directories the entrypoint's own arguments name (`-- -c /etc/app.conf`, `--root /srv/site`,
 * `--config-dir=/etc/app`, a class path `-cp /app/lib/a.jar:/app/classes`): the program will open them, so the
 * image needs them as the base has them. A top-level directory of the system (`-C /`, `--prefix=/usr`) names a
 * place, not the program's data, and is never carried; an application's own (`-cp /app`) is.
 */
function addArgumentPaths(args: readonly string[], root: Root, plan: Plan, warnings: string[]): void {
  for (const a of args) {
    const value = a.startsWith('-') && a.includes('=') ? a.slice(a.indexOf('=') + 1) : a;
    for (const part of value.split(':')) {
      if (!part.startsWith('/')) continue;
      const r = root.lookup(part);
      if (r?.entry.type === 'file') plan.add(part, `named on the command line (${a})`);
      if (r?.entry.type !== 'dir' || SYSTEM_TOP.test(r.path)) continue;
      const bytes = treeBytes(root, r.path, MAX_ARGUMENT_DIR_BYTES);
      if (bytes <= MAX_ARGUMENT_DIR_BYTES) plan.add(part, `directory named on the command line (${a})`);
      else
        warnings.push(
          `${part} is named on the command line but holds over ${formatMiB(MAX_ARGUMENT_DIR_BYTES)} MiB: not copied; add it with --include ${part} if the program needs it all`,
        );
    }
  }
}

const formatMiB = (n: number) => Math.round(n / (1 << 20));

/** The loader's library directories: never copied whole because a binary names one. */
function libraryDirs(main: LinkMap): Set<string> {
  const interp = main.objects.find((o) => o.how.kind === 'interpreter');
  return new Set([
    '/lib',
    '/usr/lib',
    '/lib64',
    '/usr/lib64',
    '/lib32',
    '/usr/lib32',
    '/usr/local/lib',
    ...glibcDefaultDirs(interp?.real, main.program.elf),
  ]);
}

/** What the program and its libraries name in their read-only data, applied to the plan (references.ts decides). */
function addReferences(
  root: Root,
  resolver: Resolver,
  plan: Plan,
  main: LinkMap,
  db: DpkgDatabase | undefined,
  notes: string[],
  details: string[],
): void {
  const objects = main.objects.map((o) => ({ real: o.real, elf: o.elf, program: o === main.program }));
  const refs = compiledReferences(root, objects, db, libraryDirs(main));
  for (const f of refs.files) {
    plan.add(f.path, f.reason);
    if (f.elf) resolver.dlopen(main, f.path, f.reason);
  }
  for (const t of refs.trees) plan.add(t.path, t.reason);
  for (const d of refs.dirs) plan.addDir(d.path, d.mode, d.uid, d.gid, d.reason);
  const n = refs.files.length + refs.trees.length;
  if (n)
    notes.push(
      `compiled-in paths: ${refs.files.length} files and ${refs.trees.length} directories (${(refs.bytes / 1048576).toFixed(1)} MiB) named in the program's or its libraries' read-only data were added (--no-references leaves them out)`,
    );
  notes.push(...refs.reported.map((r) => `compiled-in path ${r}`));
  details.push(...refs.details.map((r) => `compiled-in path ${r}`));
}

/** Resolves the program (and what its profile adds), plans the scratch image, and renders both outputs. */
export function generate(input: GenerateInput): GenerateResult {
  const { root } = input;
  const resolver = new Resolver(root, input.resolve);
  const plan = new Plan(root);
  const notes: string[] = [];
  const { maps, main, profile } = load(input, resolver, plan, notes);
  const db = readDpkg(root);
  const details: string[] = [];
  if (input.references !== false) addReferences(root, resolver, plan, main, db, notes, details);
  const config = input.baseConfig;
  const carried = config ? carriedEntry(root, main.program.real, config, input.args) : { entryArgs: [], notes: [] };
  notes.push(...carried.notes);
  addArgumentPaths([...carried.entryArgs, ...input.args, ...(carried.cmd ?? [])], root, plan, plan.warnings);

  for (const m of maps) {
    if (m.missingInterpreter) {
      throw new ScratchifyError(
        'INPUT_NOT_FOUND',
        `${m.program.path}: its interpreter ${m.missingInterpreter} is not in ${root.description}`,
        { hint: 'the program cannot start in this image either' },
      );
    }
  }
  const go = goInfo(root, main.program.real);
  if (go)
    notes.push(
      `${main.program.path} is a Go program${go.version ? ` (${go.version}${go.path ? `, ${go.path}` : ''})` : ''}, ${main.libc === 'static' ? 'statically linked' : 'using cgo'}`,
    );
  const needs = runtimeNeeds(root, resolver, main, { ...input.runtime, goX509: go?.x509 });

  const missing = missingOf(maps);
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.name} (needed by ${m.neededBy})`).join(', ');
    throw new ScratchifyError('UNRESOLVED', `not found in ${root.description}: ${list}`, {
      hint: `see the paths tried with: scratchify resolve ${input.program} --format tree; add the library to the base or use --include`,
    });
  }

  for (const m of maps) for (const o of m.objects) plan.add(o.path, reasonFor(o));
  if (maps.some((m) => m.objects.some((o) => o.how.kind === 'ld.so.cache'))) {
    plan.add('/etc/ld.so.cache', 'the loader finds libraries through it, as in the base');
  }
  for (const f of [...needs.files, ...(profile?.files ?? [])]) plan.add(f.path, f.reason);
  for (const t of [...needs.trees, ...(profile?.trees ?? [])]) plan.add(t.path, t.reason);
  for (const g of needs.generated) plan.generate(g.path, g.content, g.reason);
  for (const l of needs.links) plan.links.set(l.path, l.target);

  // Who the image runs as: --user; else the base's own USER when it is not root; else root when the program
  // drops privileges itself; else nonroot.
  const base = readAccounts(root);
  const fromBase = config && !input.user ? baseUser(config, base) : undefined;
  let runAs: Account;
  if (input.user) runAs = lookupUser(input.user, base.accounts, base.groups);
  else if (fromBase) runAs = fromBase;
  else if (profile?.needsRoot) runAs = rootAccount(base.accounts);
  else runAs = base.accounts.find((a) => a.uid === NONROOT.uid) ?? NONROOT;
  if (fromBase) notes.push(`runs as ${config!.user}, the base image's USER`);
  const named = profile?.users ?? [];
  const acc = planAccounts(base, runAs, named);
  plan.generate('/etc/passwd', acc.passwd, "the base's accounts without password hashes, and the account the image runs as");
  plan.generate('/etc/group', acc.group, "the base's groups");

  const worker = named.find((n) => !n.startsWith(':'));
  const workerAcct = worker ? acc.users.find((u) => u.name === worker) : undefined;
  plan.addDir('/tmp', 0o1777, 0, 0, 'world-writable /tmp with the sticky bit');
  plan.addDir('/run', 0o755, 0, 0, '/run');
  if (runAs.uid !== 0) plan.addDir(runAs.home, 0o700, runAs.uid, runAs.gid, `home of ${runAs.name}`);
  for (const w of profile?.writable ?? []) {
    // A worker user only applies when the program starts as root and switches; otherwise it runs as runAs.
    const owner = w.owner === 'worker' && workerAcct && runAs.uid === 0 ? workerAcct : runAs;
    plan.addDir(w.path, owner.uid === 0 ? 0o755 : 0o700, owner.uid, owner.gid, w.reason);
  }
  // The base's working directory and volumes exist with its mode and owner (a volume's directory seeds a new
  // named volume, owner included: a database's 0700 data directory).
  for (const d of [...(config?.workingDir ? [config.workingDir] : []), ...(config?.volumes ?? [])]) {
    const e = root.lookup(d)?.entry;
    if (e?.type === 'dir') plan.addDir(d, e.mode & 0o7777, e.uid, e.gid, "the base image's configuration names it");
    else plan.addDir(d, 0o755, 0, 0, "the base image's configuration names it");
  }
  const wantPackages = input.packages?.enabled !== false;
  if (db && wantPackages) addPackageMarkers(plan, root, db, { copyright: input.packages?.copyright !== false });
  else if (wantPackages) notes.push(`${root.description} has no dpkg status file: no package metadata, scanners will list no packages`);
  plan.finish();
  const packages = db && wantPackages ? writePackageMetadata(plan, root, db) : undefined;

  const scaffoldEntries: ScaffoldEntry[] = [
    ...plan.scaffoldDirs().map((d) => ({ type: 'dir' as const, path: d.path, mode: d.mode, uid: d.uid, gid: d.gid })),
    ...[...plan.links].map(([path, target]) => ({ type: 'symlink' as const, path, target })),
    ...[...plan.generated].map(([path, g]) => ({ type: 'file' as const, path, mode: g.mode, uid: g.uid, gid: g.gid, content: g.content })),
  ];
  const defaults = defaultArgsBeside(profile?.defaultArgs ?? [], [...carried.entryArgs, ...(carried.cmd ?? [])]);
  const entrypoint = [input.program, ...carried.entryArgs, ...defaults, ...input.args];
  const healthcheckKept = config ? inImage(plan, root, healthcheckProgram(config)) : false;
  if (config?.healthcheck && !healthcheckKept && healthcheckProgram(config))
    notes.push(
      `the base's HEALTHCHECK runs ${healthcheckProgram(config)}, which is not in this image: left out (add it with --include to keep it)`,
    );
  const dockerfile = renderDockerfile(plan, {
    source: input.source,
    command: input.command,
    dockerfile: input.dockerfileName,
    scaffold: input.scaffoldName,
    baseRef: input.baseRef,
    baseComment: input.baseComment,
    fromStage: input.fromStage,
    user: `${runAs.uid}:${runAs.gid}`,
    entrypoint,
    cmd: carried.cmd,
    run: runInstructions({
      config,
      healthcheckKept,
      expose: input.expose,
      baseName: input.baseName,
      baseDigest: input.baseDigest,
      userFromBase: fromBase !== undefined,
    }),
    carrier: input.carrier,
  });
  let entries: ScaffoldEntry[] | undefined;
  const bundle = () => (entries ??= bundleEntries(plan, root, scaffoldEntries));
  return {
    entrypoint,
    cmd: carried.cmd,
    kept: config && { ...config, healthcheck: healthcheckKept ? config.healthcheck : undefined },
    dockerfile,
    scaffold: writeScaffoldTar(input.carrier === 'archive' ? bundle() : scaffoldEntries),
    bundle,
    plan,
    maps,
    runAs,
    users: acc.users,
    profile,
    go,
    packages,
    notes,
    details: [...details, ...needs.details],
    warnings: [
      ...(wantPackages ? (db?.warnings ?? []) : []),
      ...resolver.warnings,
      ...(profile?.warnings ?? []),
      ...needs.warnings,
      ...plan.warnings,
    ],
  };
}

/** Whether the image will hold the program `name` names (an absolute path, as the base resolves it). */
function inImage(plan: Plan, root: Root, name: string | undefined): boolean {
  if (!name?.startsWith('/')) return false;
  const real = root.lookup(name)?.path;
  if (!real) return false;
  if (plan.files.has(real) || plan.generated.has(real)) return true;
  return [...plan.trees.keys()].some((t) => real.startsWith(`${t}/`));
}
