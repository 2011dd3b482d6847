import type { Root } from '../rootfs/root.js';
import type { Account, BaseAccounts } from './accounts.js';
import { lookupUser } from './accounts.js';

/** What an image's configuration says about running it, as the engine reports it (`docker image inspect`). */
export interface BaseConfig {
  env: string[];
  workingDir?: string;
  /** "80/tcp", "53/udp". */
  exposedPorts: string[];
  stopSignal?: string;
  labels: Record<string, string>;
  volumes: string[];
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  healthcheck?: { test: string[]; interval?: number; timeout?: number; startPeriod?: number; retries?: number };
}

/** Where the PATH search for a bare `CMD ["nginx"]` looks when the base sets no PATH (Docker's default). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The real path `name` starts in the base: an absolute path as it resolves, a bare name found on PATH. */
function startedProgram(root: Root, name: string | undefined, env: string[]): string | undefined {
  if (!name) return undefined;
  if (name.includes('/')) return name.startsWith('/') ? root.lookup(name)?.path : undefined;
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of path.split(':').filter((d) => d.startsWith('/'))) {
    const r = root.lookup(`${dir}/${name}`);
    if (r?.entry.type === 'file') return r.path;
  }
  return undefined;
}

export interface CarriedEntry {
  /** Arguments of the base's ENTRYPOINT after the program, kept in ours. */
  entryArgs: string[];
  /** The base's CMD (its arguments to the program), kept as ours. */
  cmd?: string[];
  notes: string[];
}

/**
 * The base's ENTRYPOINT and CMD, when they start this very program: its ENTRYPOINT's arguments stay in ours and
 * its CMD stays the CMD, so `docker run IMAGE` does what it did on the base; a bare `CMD ["nginx", ...]` with no
 * ENTRYPOINT counts too. Arguments the user gave after `--` replace the base's CMD. A base whose ENTRYPOINT is
 * another program (a wrapper script, tini) keeps nothing: its CMD was that program's arguments.
 */
export function carriedEntry(root: Root, reals: readonly string[], config: BaseConfig, userArgs: readonly string[]): CarriedEntry {
  const { entrypoint, cmd, env } = config;
  // The program as asked for and as exec'ed: a script's base may start the script or its interpreter.
  const starts = (name: string | undefined) => reals.includes(startedProgram(root, name, env) ?? '');
  const viaEntry = entrypoint?.length ? starts(entrypoint[0]) : false;
  const viaCmd = !entrypoint?.length && cmd?.length ? starts(cmd[0]) : false;
  if (!viaEntry && !viaCmd) {
    const begun = entrypoint?.length ? entrypoint : cmd;
    const notes = begun?.length ? [`the base starts ${JSON.stringify(begun)}, not ${reals[0]}: its ENTRYPOINT and CMD are not kept`] : [];
    return { entryArgs: [], notes };
  }
  const entryArgs = viaEntry ? entrypoint!.slice(1) : [];
  const baseCmd = viaEntry ? cmd : cmd!.slice(1);
  if (userArgs.length) {
    const notes = baseCmd?.length ? [`the arguments after -- replace the base's CMD ${JSON.stringify(baseCmd)}`] : [];
    return { entryArgs, notes };
  }
  return { entryArgs, cmd: baseCmd?.length ? baseCmd : undefined, notes: [] };
}

/**
 * A profile's default arguments (nginx's `-g 'daemon off;'`) unless the kept arguments already set the same
 * flag: nginx refuses a `-g` given twice with "directive is duplicate".
 */
export function defaultArgsBeside(defaults: readonly string[], kept: readonly string[]): string[] {
  const flags = defaults.filter((a) => a.startsWith('-'));
  return flags.some((f) => kept.includes(f)) ? [] : [...defaults];
}

/** The base's USER when it is not root and names an account of the base, or is a bare uid; undefined otherwise. */
export function baseUser(config: BaseConfig, base: BaseAccounts): Account | undefined {
  const spec = config.user?.trim();
  if (!spec) return undefined;
  const [u] = spec.split(':');
  if (u === 'root' || u === '0') return undefined;
  const numeric = /^\d+$/.test(u);
  const known = numeric ? base.accounts.some((a) => a.uid === Number(u)) : base.accounts.some((a) => a.name === u);
  // `USER 1001` with no account (Bitnami's images): the engines run it as 1001 with group 0, and so does the image.
  if (!known && !numeric) return undefined;
  try {
    const acct = lookupUser(spec, base.accounts, base.groups);
    return known || spec.includes(':') ? acct : { ...acct, gid: 0 };
  } catch {
    return undefined; // a group the base lacks: the base could not run as it either
  }
}

/** What a HEALTHCHECK runs, when the image will hold it: its program (CMD), or the shell (CMD-SHELL). */
export function healthcheckProgram(config: BaseConfig): string | undefined {
  const t = config.healthcheck?.test;
  if (!t?.length) return undefined;
  if (t[0] === 'CMD') return t[1];
  if (t[0] === 'CMD-SHELL') return '/bin/sh';
  return undefined;
}

/** A value inside a Dockerfile's double quotes: shell-word processing unescapes \" \$ \\ there, and expands $. */
function quoted(value: string): string {
  return `"${value.replace(/[\n\r]+/g, ' ').replace(/["$\\]/g, (c) => `\\${c}`)}"`;
}

/** Docker's durations are nanoseconds; HEALTHCHECK takes seconds with a unit. */
function seconds(ns: number | undefined): string | undefined {
  return ns ? `${ns / 1e9}s` : undefined;
}

export interface RunSettings {
  config?: BaseConfig;
  /** Whether the HEALTHCHECK's program is in the image. */
  healthcheckKept: boolean;
  /** EXPOSE values the user asked for. */
  expose: string[];
  /** OCI labels that name the base: its reference and, when it has one, its registry digest. */
  baseName?: string;
  baseDigest?: string;
  /** The image runs as the base's own USER: the comment over USER says so. */
  userFromBase?: boolean;
}

/**
 * The instructions that carry the base's run configuration, each after a comment that says where it comes from,
 * and the user's own EXPOSE. VOLUME comes after every COPY (the lines this goes after): the classic builder
 * discards changes made to a volume's directory after it is declared.
 */
export function runInstructions(s: RunSettings): string {
  const lines: string[] = [];
  const c = s.config;
  if (c?.env.length) {
    const pairs = c.env.filter((e) => e.includes('=')).map((e) => `${e.slice(0, e.indexOf('='))}=${quoted(e.slice(e.indexOf('=') + 1))}`);
    lines.push("# the base image's environment", `ENV ${pairs.join(' \\\n    ')}`);
  }
  if (c?.workingDir)
    lines.push(
      "# the base image's working directory",
      `WORKDIR ${/^[\w./@+,:-]+$/.test(c.workingDir) ? c.workingDir : quoted(c.workingDir)}`,
    );
  const fromBase = c?.exposedPorts ?? [];
  if (fromBase.length) lines.push("# the base image's exposed ports", `EXPOSE ${fromBase.join(' ')}`);
  const own = s.expose.filter((p) => !fromBase.includes(p) && !fromBase.includes(`${p}/tcp`));
  if (own.length) lines.push(...own.map((p) => `EXPOSE ${p}`));
  if (c?.stopSignal) lines.push("# the base image's stop signal (docker stop sends it)", `STOPSIGNAL ${c.stopSignal}`);
  if (c?.volumes.length) lines.push("# the base image's volumes", `VOLUME ${JSON.stringify(c.volumes)}`);
  const labels = Object.entries(c?.labels ?? {});
  if (labels.length)
    lines.push("# the base image's labels", `LABEL ${labels.map(([k, v]) => `${quoted(k)}=${quoted(v)}`).join(' \\\n      ')}`);
  const oci = [
    ...(s.baseName ? [['org.opencontainers.image.base.name', s.baseName]] : []),
    ...(s.baseDigest ? [['org.opencontainers.image.base.digest', s.baseDigest]] : []),
  ];
  if (oci.length) lines.push('# the image this one is cut from', `LABEL ${oci.map(([k, v]) => `${k}=${quoted(v)}`).join(' \\\n      ')}`);
  const h = c?.healthcheck;
  if (h && s.healthcheckKept) {
    const opts = [
      ['interval', seconds(h.interval)],
      ['timeout', seconds(h.timeout)],
      ['start-period', seconds(h.startPeriod)],
      ['retries', h.retries ? String(h.retries) : undefined],
    ]
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `--${k}=${v} `)
      .join('');
    // The shell form is stored as CMD-SHELL again; HEALTHCHECK expands no variables, so the text goes as it is.
    const run = h.test[0] === 'CMD-SHELL' ? `CMD ${(h.test[1] ?? '').replace(/[\n\r]+/g, ' ')}` : `CMD ${JSON.stringify(h.test.slice(1))}`;
    lines.push("# the base image's health check (its program is in this image)", `HEALTHCHECK ${opts}${run}`);
  }
  if (s.userFromBase) lines.push("# the base image's user");
  return lines.length ? `${lines.join('\n')}\n` : '';
}
