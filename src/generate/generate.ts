import { imagePlatformOf, runsOn } from '../elf/platform.js';
import { shellLine } from '../shell-words.js';
import { ScratchifyError } from '../errors.js';
import { readDpkg } from '../packages/dpkg.js';
import { packageMarkers, packageMetadata, type PackageReport } from '../packages/metadata.js';
import { goInfo, type GoInfo } from '../profiles/go.js';
import { compiledReferences, referenceAdditions } from '../profiles/references.js';
import { type Additions, noAdditions } from '../additions.js';
import { type ProfileResult, profileAdditions } from '../profiles/types.js';
import { Resolver } from '../resolve/resolver.js';
import { missingOf } from '../resolve/report.js';
import { glibcDefaultDirs } from '../resolve/searchpath.js';
import type { LinkMap, LoadedObject } from '../resolve/types.js';
import type { Root } from '../rootfs/root.js';
import { runtimeNeeds } from '../runtime/needs.js';
import type { Account } from './accounts.js';
import { apply, type Said } from './apply.js';
import { type BaseConfig, healthcheckProgram, runInstructions } from './base-config.js';
import { bundleEntries, prefetchBundle } from './bundle.js';
import { renderDockerfile } from './dockerfile.js';
import { entryPrograms } from './entry.js';
import { entrypointOf, startOf } from './start.js';
import type { GenerateInput } from './input.js';
import { checkExcludedObjects, excluder, withoutExcluded } from './exclude.js';
import { type Hardened, hardenedRun } from './hardening.js';
import { Plan } from './plan.js';
import { type ImageAccounts, imageAccounts } from './run-as.js';
import { writeScaffoldTar, type ScaffoldEntry } from './scaffold-tar.js';
import {
  argumentAdditions,
  baseConfigAdditions,
  configAdditions,
  includeAdditions,
  serviceDirAdditions,
  tracedAdditions,
} from './sources.js';

export { MAX_ARGUMENT_DIR_BYTES } from './sources.js';

export type { GenerateInput } from './input.js';

export interface GenerateResult {
  dockerfile: string;
  /** The archive the Dockerfile ADDs: the scaffold, or with carrier 'archive' the whole root. */
  scaffold: Buffer;
  /** The whole minimal root as archive entries (scaffold first), for --bundle; built once, on first call. */
  bundle: () => ScaffoldEntry[];
  /** Brings in the files bundle() reads as one stream, where the image's source can (an engine's export). */
  prefetch: () => Promise<void>;
  /** The exec-form ENTRYPOINT: the program, its profile's arguments, the user's. */
  entrypoint: string[];
  /** The CMD, when the base's own is kept (the program is the base's entrypoint). */
  cmd?: string[];
  /** The base configuration the image keeps (for --bundle's .scratchify.json). */
  kept?: BaseConfig;
  /** The labels the Dockerfile gives the image: the base's kept ones, then the base's name and digest. */
  labels: Record<string, string>;
  /** The paths of the scaffold's own entries (directories, links, generated files), the top of a written image. */
  scaffoldPaths: ReadonlySet<string>;
  /** The image's platform: the base's, else the program's (linux/arm64). */
  platform?: string;
  plan: Plan;
  /** The main program's process first; a script's interpreter chain adds one per program. */
  maps: LinkMap[];
  runAs: Account;
  /** The USER line's value: `uid`, so the engine gives the user its supplementary groups, or `uid:gid`. */
  user: string;
  /** How the image runs hardened: read-only, its capabilities, a tmpfs or volume for each path it writes. */
  hardened: Hardened;
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

/**
 * The image's platform: the base's when its configuration says one, else the program's own. A program the base's
 * machines cannot run (an arm64 program in an amd64 image) is refused, naming both.
 */
function checkProgramPlatform(input: GenerateInput, main: LinkMap): string | undefined {
  const own = imagePlatformOf(main.program.elf);
  if (input.platform && own && !runsOn(own, input.platform))
    throw new ScratchifyError(
      'PLATFORM_MISMATCH',
      `${input.program} is built for ${own}, but ${input.root.description} is ${input.platform}`,
      {
        hint: `use a base of ${own} (docker import labels every image amd64: build it with FROM scratch + ADD root.tar and --platform ${own}), or the program built for ${input.platform}`,
      },
    );
  return input.platform ?? own;
}

/**
 * The image's files and its links to files, in one walk: a package that lists a link owns it. A link to a
 * directory (merged /usr's /lib) is listed by packages as the directory they shipped, and owns nothing copied.
 */
function held(plan: Plan, root: Root): { files: string[]; links: string[] } {
  const { files, links } = plan.copied();
  return { files, links: links.filter((l) => root.lookup(l)?.entry.type !== 'dir') };
}

/** The program cannot start without its interpreter, nor with a library the loader will not find. */
function checkLoadable(maps: LinkMap[], input: GenerateInput): void {
  for (const m of maps) {
    if (m.missingInterpreter)
      throw new ScratchifyError(
        'INPUT_NOT_FOUND',
        `${m.program.path}: its interpreter ${m.missingInterpreter} is not in ${input.root.description}`,
        {
          hint: 'the program cannot start in this image either',
        },
      );
  }
  const missing = missingOf(maps);
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.name} (needed by ${m.neededBy})`).join(', ');
    throw new ScratchifyError('UNRESOLVED', `not found in ${input.root.description}: ${list}`, {
      hint: `see each path tried, the rule that gave it and a fix: ${input.explain?.(input.program) ?? shellLine(['scratchify', 'doctor', input.program, '--root', '/'])}`,
    });
  }
}

/** What every loaded object brings: itself, and the cache the loader found some of them through. */
function loadedAdditions(maps: LinkMap[]): Additions {
  const out = noAdditions();
  for (const m of maps) for (const o of m.objects) out.copy.push({ path: o.path, reason: reasonFor(o) });
  if (maps.some((m) => m.objects.some((o) => o.how.kind === 'ld.so.cache')))
    out.copy.push({ path: '/etc/ld.so.cache', reason: 'the loader finds libraries through it, as in the base' });
  return out;
}

/**
 * Resolves the program and plans the scratch image: collect what each source says the program needs (its loader
 * chain, its profile, --include, traced runs, the paths its arguments and its read-only data name, glibc's run-time
 * needs, the accounts, the base's configuration, package metadata), apply each to the plan with its reasons, then
 * render the Dockerfile and its scaffold archive.
 */
export function generate(input: GenerateInput): GenerateResult {
  const { root } = input;
  const resolver = new Resolver(root, input.resolve);
  const plan = new Plan(root);
  const said: Said = { notes: [], warnings: [], details: [] };
  const entry = entryPrograms(root, input.program);
  const maps = entry.programs.map((p) => resolver.loadProgram(p));
  const main = maps[maps.length - 1];
  const platform = checkProgramPlatform(input, main);
  const excluded = excluder(root, input.excludes ?? []);
  const use = (adds: Additions) => apply(withoutExcluded(adds, excluded, input.excludes ?? []), plan, resolver, main, said);
  use(noAdditions({ copy: entry.scripts, notes: entry.notes }));
  const config = input.baseConfig;
  const { carried, startArgs, profile } = startOf(input, main, entry.programs);
  if (profile) use(profileAdditions(profile));
  use(includeAdditions(root, input.includes));
  use(tracedAdditions(root, input.traced ?? []));
  said.notes.push(...carried.notes);
  const named = argumentAdditions(root, startArgs);
  use(named);
  const db = readDpkg(root);
  // Configuration files the command line or the program's compiled-in paths name: followed once the user is known.
  const configs = named.copy.map((c) => c.path);
  if (input.references !== false) {
    const objects = main.objects.map((o) => ({ real: o.real, elf: o.elf, program: o === main.program }));
    const refs = referenceAdditions(compiledReferences(root, objects, db, libraryDirs(main)));
    use(refs);
    configs.push(...refs.copy.filter((c) => c.path.startsWith('/etc/')).map((c) => c.path));
  }
  const go = goInfo(root, main.program.real);
  if (go)
    said.notes.push(
      `${main.program.path} is a Go program${go.version ? ` (${go.version}${go.path ? `, ${go.path}` : ''})` : ''}, ${main.libc === 'static' ? 'statically linked' : 'using cgo'}`,
    );
  // Last of the loads: glibc's run-time needs depend on every object loaded before.
  use(runtimeNeeds(root, resolver, main, { ...input.runtime, goX509: go?.x509 }));
  checkLoadable(maps, input);
  checkExcludedObjects(maps, excluded, input.excludes ?? []);
  use(loadedAdditions(maps));
  const who = imageAccounts(input, profile, said.notes);
  // The base's conventions first: the mode and owner they give a directory (a 2775 socket directory) win.
  use(serviceDirAdditions(root, input.program, main.program.real, who.runAs, who.base));
  use(who.adds);
  use(configAdditions(root, configs, who.runAs.uid));
  use(baseConfigAdditions(config));
  if (excluded) {
    const left = plan.exclude(excluded);
    said.notes.push(
      `--exclude left out ${left.length} path${left.length === 1 ? '' : 's'}${left.length ? `: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''}` : ''}`,
    );
  }
  const wantPackages = input.packages?.enabled !== false;
  if (db && wantPackages) {
    const { files, links } = held(plan, root);
    use(packageMarkers(files, links, root, db, { copyright: input.packages?.copyright !== false }));
  } else if (wantPackages)
    said.notes.push(`${root.description} has no dpkg status file: no package metadata, scanners will list no packages`);
  plan.finish();
  let packages: PackageReport | undefined;
  if (db && wantPackages) {
    const { files, links } = held(plan, root);
    const meta = packageMetadata(files, links, db);
    use(meta.adds);
    for (const [f, p] of meta.packageOf) plan.packageOf.set(f, p);
    packages = meta.report;
  }
  return render(input, {
    plan,
    maps,
    profile,
    go,
    packages,
    said,
    who,
    carried,
    platform,
    warnings: [...(wantPackages ? (db?.warnings ?? []) : []), ...resolver.warnings],
  });
}

/** The Dockerfile, the scaffold archive and the bundle of a finished plan. */
function render(
  input: GenerateInput,
  r: {
    plan: Plan;
    maps: LinkMap[];
    profile?: ProfileResult;
    go?: GoInfo;
    packages?: PackageReport;
    said: Said;
    who: ImageAccounts;
    carried: { entryArgs: string[]; cmd?: string[] };
    platform?: string;
    warnings: string[];
  },
): GenerateResult {
  const { plan, said, who, carried } = r;
  const config = input.baseConfig;
  const scaffoldEntries: ScaffoldEntry[] = [
    ...plan.scaffoldDirs().map((d) => ({ type: 'dir' as const, path: d.path, mode: d.mode, uid: d.uid, gid: d.gid })),
    ...[...plan.links].map(([path, target]) => ({ type: 'symlink' as const, path, target })),
    ...[...plan.generated].map(([path, g]) => ({ type: 'file' as const, path, mode: g.mode, uid: g.uid, gid: g.gid, content: g.content })),
  ];
  const entrypoint = entrypointOf(input, { carried, profile: r.profile });
  const healthcheckKept = config ? inImage(plan, healthcheckProgram(config)) : false;
  if (config?.healthcheck && !healthcheckKept && healthcheckProgram(config))
    said.notes.push(
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
    user: who.user,
    entrypoint,
    cmd: carried.cmd,
    run: runInstructions({
      config,
      healthcheckKept,
      expose: input.expose,
      baseName: input.baseName,
      baseDigest: input.baseDigest,
      userFromBase: who.fromBase,
    }),
    carrier: input.carrier,
    engine: input.engine,
    platform: r.platform,
  });
  const hardened = hardenedRun(plan, {
    user: who.user,
    runAs: who.runAs,
    switchesUsers: r.profile?.needsRoot !== undefined || (r.profile?.users.length ?? 0) > 0,
    ports: [...(config?.exposedPorts ?? []), ...input.expose].map((p) => Number.parseInt(p, 10)).filter(Number.isFinite),
    state: r.profile?.state ?? [],
    volumes: config?.volumes ?? [],
  });
  let entries: ScaffoldEntry[] | undefined;
  const bundle = () => (entries ??= bundleEntries(plan, plan.root, scaffoldEntries));
  return {
    entrypoint,
    cmd: carried.cmd,
    kept: config && { ...config, healthcheck: healthcheckKept ? config.healthcheck : undefined },
    labels: {
      ...(config?.labels ?? {}),
      ...(input.baseName ? { 'org.opencontainers.image.base.name': input.baseName } : {}),
      ...(input.baseDigest ? { 'org.opencontainers.image.base.digest': input.baseDigest } : {}),
    },
    scaffoldPaths: new Set(scaffoldEntries.map((e) => e.path)),
    platform: r.platform,
    dockerfile,
    scaffold: writeScaffoldTar(input.carrier === 'archive' ? bundle() : scaffoldEntries),
    bundle,
    prefetch: () => prefetchBundle(plan, plan.root, scaffoldEntries),
    plan,
    maps: r.maps,
    runAs: who.runAs,
    user: who.user,
    hardened,
    users: who.users,
    profile: r.profile,
    go: r.go,
    packages: r.packages,
    notes: said.notes,
    details: said.details,
    warnings: [...r.warnings, ...said.warnings, ...plan.warnings],
  };
}

/** Whether the image will hold the program `name` names (an absolute path, as the base resolves it). */
function inImage(plan: Plan, name: string | undefined): boolean {
  if (!name?.startsWith('/')) return false;
  const real = plan.root.lookup(name)?.path;
  if (!real) return false;
  if (plan.files.has(real) || plan.generated.has(real)) return true;
  return [...plan.trees.keys()].some((t) => real.startsWith(`${t}/`));
}
