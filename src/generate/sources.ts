import { ScratchifyError } from '../errors.js';
import type { BaseConfig } from './base-config.js';
import { type Additions, type Because, noAdditions, type UsedPath } from '../additions.js';
import { expandInclude, treeBytes } from '../rootfs/include.js';
import type { Root } from '../rootfs/root.js';
import { followConfig } from '../profiles/config-files.js';
import { type ServiceDir, tmpfilesDirs, unitDirs } from '../profiles/service-dirs.js';
import type { Account, BaseAccounts } from './accounts.js';
import { entryPrograms } from './entry.js';
import { parentOf } from './plan.js';

/** Files the scaffold writes itself (the accounts), which a traced run's read must not replace. */
const SCAFFOLD_OWNED = new Set(['/etc/passwd', '/etc/group']);
const SECRETS = new Set(['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-']);

/** --include: each pattern's files and directories copied, the ELF objects among them loaded as if dlopen'ed. */
export function includeAdditions(root: Root, patterns: readonly string[]): Additions {
  const out = noAdditions();
  for (const pattern of patterns) {
    const match = expandInclude(root, pattern);
    const reason = `--include ${pattern}`;
    for (const p of match.paths) out.copy.push({ path: p, reason });
    for (const c of match.candidates) out.dlopen.push({ path: c, reason, ifElf: true });
  }
  return out;
}

/**
 * What traced runs used, as the image needs it: a file the base has is copied (ELF ones loaded, all together, as
 * the run loaded them); a directory the run listed or entered is created with the base's mode and owner, not copied
 * whole. What the run created or opened to write (data, logs, pid and lock files, sockets) is the service's state,
 * not the image's content: it is not copied, and the directory it is in is created with the base's mode and owner,
 * saying what was made there. The accounts stay the scaffold's, and password hashes never travel.
 */
export function tracedAdditions(root: Root, traced: readonly UsedPath[]): Additions {
  const out = noAdditions({ together: true });
  const secrets = new Set<string>();
  const state: string[] = [];
  const outside = new Set<string>();
  const made = new Set(traced.filter((t) => t.use === 'written').map((t) => t.path));
  for (const t of traced) {
    const target = t.use === 'written' ? parentOf(t.path) : t.path;
    if (SCAFFOLD_OWNED.has(t.path) || target === '/') continue;
    if (SECRETS.has(t.path)) {
      secrets.add(t.path);
      continue;
    }
    const r = root.lookup(target);
    if (t.use === 'written') {
      if (r?.entry.type === 'dir') out.dirs.push({ path: target, reason: writtenReason(t), writable: true });
      // Neither in the base nor made by the run: a volume or tmpfs of that run held it, and the image has no place for it.
      else if (!r && !made.has(target)) outside.add(target);
      if (root.lookup(t.path)?.entry.type === 'file') state.push(t.path);
    } else if (r?.entry.type === 'dir') out.dirs.push({ path: target, reason: t.reason });
    else if (r?.entry.type === 'file' && t.use === 'read') {
      out.copy.push({ path: t.path, reason: t.reason });
      out.dlopen.push({ path: t.path, reason: t.reason, ifElf: true });
      if (r.entry.mode & 0o111 && root.readHead(r.path, 2)?.toString('latin1') === '#!') interpreters(root, t.path, out);
    }
  }
  for (const p of secrets)
    out.notes.push(
      `a traced run read ${p}; it holds password hashes and is not copied (add it with --include if the program must have it)`,
    );
  for (const d of outside)
    out.warnings.push(
      `a traced run wrote into ${d}, which the base does not have and the run did not make (a volume of that run?): the image has no ${d} either; mount a volume there when you run it (docker run's flag -v scratchify-data:${d})`,
    );
  if (state.length)
    out.notes.push(
      `traced runs wrote ${state.length} file${state.length === 1 ? '' : 's'} the base has (${state.slice(0, 3).join(', ')}${state.length > 3 ? ', ...' : ''}): the service's state, not copied; --include PATH carries one as seed data`,
    );
  if (traced.length)
    out.notes.push(
      `traced runs used ${traced.length} paths: ${out.copy.length} files of the base were added and ${out.dirs.length} directories created`,
    );
  return out;
}

/**
 * The `#!` chain of an executable script a run used: the kernel starts its interpreter without a syscall that names
 * it (lighttpd's include_shell runs a Perl script; the trace shows the script and Perl's modules, not /usr/bin/perl).
 */
function interpreters(root: Root, script: string, out: Additions): void {
  try {
    const chain = entryPrograms(root, script);
    const reason = `the interpreter of ${script}, which a traced run executed`;
    for (const s of chain.scripts.slice(1)) out.copy.push({ path: s.path, reason });
    for (const p of chain.programs) {
      out.copy.push({ path: p, reason });
      out.dlopen.push({ path: p, reason, ifElf: true });
    }
  } catch (e) {
    if (!(e instanceof ScratchifyError)) throw e;
    out.warnings.push(`${script}, which a traced run executed: ${e.message}`);
  }
}

/** Why a directory is in the image: what the run made in it, and which run (`--trace-service`, `--trace '...'`, `--fix`). */
function writtenReason(t: Because): string {
  const name = t.path.slice(parentOf(t.path).length + 1);
  return `${name} was created or written here in the base, ${t.reason.replace(/^written by /, 'by ')}`;
}

/** A directory named on the command line is carried up to this size; past it, a warning says how to add it. */
export const MAX_ARGUMENT_DIR_BYTES = 64 << 20;

/** The filesystem hierarchy's own top-level directories: an argument naming one names a place, not the program's data. */
const SYSTEM_TOP = /^\/(bin|boot|dev|etc|home|lib\w*|media|mnt|opt|proc|root|run|sbin|srv|sys|tmp|usr|var)?$/;

/** `--name=VALUE`, `-c name=VALUE` (the `name=VALUE` word), `-f/path`: the value; any other word is its own value. */
const ASSIGNED = /^-{0,2}[A-Za-z_][\w.-]*=(.*)$/s;
const GLUED = /^-[A-Za-z](\/.*)$/s;

/** The absolute paths one argument names: its value, split at `:` as search paths are (`//` begins a URL's host). */
export function namedPaths(arg: string): string[] {
  const value = ASSIGNED.exec(arg)?.[1] ?? GLUED.exec(arg)?.[1] ?? arg;
  return value
    .replace(/^'(.*)'$/s, '$1')
    .split(':')
    .filter((p) => p.startsWith('/') && !p.startsWith('//'));
}

/**
 * Files and directories the entrypoint's own arguments name (`-- -c /etc/app.conf`, `--root /srv/site`,
 * `--config-dir=/etc/app`, `-c config_file=/etc/pg.conf`, `-f/etc/app.conf`, a class path
 * `-cp /app/lib/a.jar:/app/classes`): the program will open them, so the image needs them as the base has them.
 * A top-level directory of the system (`-C /`, `--prefix=/usr`) names a place, not the program's data, and is
 * never carried; an application's own (`-cp /app`) is.
 */
export function argumentAdditions(root: Root, args: readonly string[]): Additions {
  const out = noAdditions();
  for (const a of args) {
    for (const part of namedPaths(a)) {
      const r = root.lookup(part);
      if (r?.entry.type === 'file') out.copy.push({ path: part, reason: `named on the command line (${a})` });
      if (r?.entry.type !== 'dir' || SYSTEM_TOP.test(r.path)) continue;
      if (treeBytes(root, r.path, MAX_ARGUMENT_DIR_BYTES) <= MAX_ARGUMENT_DIR_BYTES)
        out.copy.push({ path: part, reason: `directory named on the command line (${a})` });
      else
        out.warnings.push(
          `${part} is named on the command line but holds over ${MAX_ARGUMENT_DIR_BYTES >> 20} MiB: not copied; add it with --include ${part} if the program needs it all`,
        );
    }
  }
  return out;
}

/**
 * The base's working directory and volumes, created with its mode and owner: a volume's directory seeds a new
 * named volume, owner included (a database's 0700 data directory).
 */
export function baseConfigAdditions(config: BaseConfig | undefined): Additions {
  const dirs = [...(config?.workingDir ? [config.workingDir] : []), ...(config?.volumes ?? [])];
  return noAdditions({ dirs: dirs.map((d) => ({ path: d, reason: "the base image's configuration names it" })) });
}

/**
 * The directories the base's service conventions make before the service starts, which no init system makes in
 * a scratch image: the RuntimeDirectory= (and State-, Cache-, LogsDirectory=) of the systemd units that start the
 * program, and the tmpfiles.d entries owned by the user the image runs as or its group (Debian's
 * `d /run/postgresql 2775 postgres postgres`). A directory the base has keeps the base's mode and owner.
 */
export function serviceDirAdditions(root: Root, program: string, real: string, runAs: Account, base: BaseAccounts): Additions {
  const out = noAdditions();
  const group = base.groups.find((g) => g.gid === runAs.gid)?.name;
  const ours = (d: ServiceDir) => runAs.uid !== 0 && (d.user === runAs.name || (d.group !== undefined && d.group === group));
  const uidOf = (name: string | undefined) => (name === undefined ? 0 : base.accounts.find((a) => a.name === name)?.uid);
  const gidOf = (name: string | undefined) => (name === undefined ? 0 : base.groups.find((g) => g.name === name)?.gid);
  for (const d of [...unitDirs(root, program, real), ...tmpfilesDirs(root).filter(ours)]) {
    const uid = uidOf(d.user);
    const gid = gidOf(d.group);
    if (uid === undefined || gid === undefined || d.path === '/run' || d.path === '/tmp') continue;
    if (root.lookup(d.path)?.entry.type === 'dir') out.dirs.push({ path: d.path, reason: d.reason, writable: true });
    else out.dirs.push({ path: d.path, mode: d.mode ?? 0o755, uid, gid, reason: d.reason, writable: true });
  }
  return out;
}

/**
 * What the program's configuration files name (profiles/config-files.ts): their includes, read-only files their
 * values name, and the directories they name for writing that the base gives the user the image runs as.
 */
export function configAdditions(root: Root, files: readonly string[], uid: number): Additions {
  const c = followConfig(root, files, uid);
  return noAdditions({
    copy: [...c.files, ...c.trees],
    dirs: c.writable.map((w) => ({ ...w, writable: true })),
  });
}
