import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { ScratchifyError } from '../errors.js';
import { copyInstruction } from './dockerfile-words.js';
import { parentOf, type Plan } from './plan.js';

/** BuildKit refuses images over 127 layers; stay far below, leaving the user room for their own steps. */
export const MAX_COPY_LINES = 100;

export function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    if (!(k in values)) throw new Error(`template names {{${k}}}, which the generator does not supply`);
    return values[k];
  });
}

/**
 * Sources per COPY instruction. BuildKit 0.8 (Docker 20.10) runs a COPY of N sources as N chained copy actions,
 * and each one fetches the same source stage through one flightcontrol key (`FileOpSolver.getInput`, "inp-1"),
 * all at once. A caller that finds that call just finished gets errRetry and backs off (1 ms, doubling), and
 * gives up with "flightcontrol: exceeded retry timeout" at its 14th errRetry. Every finished call lets at
 * least one other caller through, so with at most 10 callers no caller can see 14 errRetries: the failure
 * cannot happen. With 29 sources it failed about one cold build in three, with 66 about one in two
 * (bench/build-stress.mjs). Newer BuildKit retries for longer with jitter; Buildah has no such race.
 */
export const MAX_SOURCES_PER_COPY = 10;

/** COPY instructions: the files of one destination directory (sorted, in chunks), and one per whole tree. */
export function copyLines(plan: Plan, from = 'base'): string[] {
  const groups = new Map<string, { files: string[]; reasons: Map<string, string[]> }>();
  for (const f of plan.files.values()) {
    const dir = parentOf(f.path);
    let g = groups.get(dir);
    if (!g) groups.set(dir, (g = { files: [], reasons: new Map() }));
    g.files.push(f.path);
  }
  const blocks: { key: string; text: string }[] = [];
  for (const [dir, g] of groups) {
    g.files.sort();
    if (g.files.length > MAX_SOURCES_PER_COPY && holdsAllOf(plan, dir, g.files)) {
      // The whole directory is wanted: one source copies exactly those files, in one action.
      const reasons = g.files.flatMap((p) => plan.files.get(p)!.reasons);
      blocks.push({
        key: g.files[0],
        text: `${comment(reasons, packagesOf(plan, g.files))}\n${copyInstruction(from, [`${dir}/`], `${dir}/`)}`,
      });
      continue;
    }
    for (let i = 0; i < g.files.length; i += MAX_SOURCES_PER_COPY) {
      const chunk = g.files.slice(i, i + MAX_SOURCES_PER_COPY);
      const reasons = chunk.flatMap((p) => plan.files.get(p)!.reasons);
      blocks.push({
        key: chunk[0],
        text: `${comment(reasons, packagesOf(plan, chunk))}\n${copyInstruction(from, chunk, dir === '/' ? '/' : `${dir}/`)}`,
      });
    }
  }
  for (const t of plan.trees.values()) {
    // Trailing slashes say what COPY does with a directory: its contents go into the same directory.
    const inside = [...plan.packageOf.keys()].filter((f) => f.startsWith(`${t.path}/`));
    blocks.push({
      key: t.path,
      text: `${comment(t.reasons, packagesOf(plan, inside))}\n${copyInstruction(from, [`${t.path}/`], `${t.path}/`)}`,
    });
  }
  if (blocks.length > MAX_COPY_LINES) {
    throw new ScratchifyError('USAGE', `the image would need ${blocks.length} COPY layers, over ${MAX_COPY_LINES}`, {
      hint: 'include whole directories (--include /dir) instead of many single files',
    });
  }
  return blocks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((b) => b.text);
}

/** True when the base's `dir` holds nothing but regular files, and `files` are all of them. */
function holdsAllOf(plan: Plan, dir: string, files: string[]): boolean {
  const names = plan.root.readdir(dir);
  if (names.length !== files.length) return false;
  const wanted = new Set(files);
  return names.every((n) => wanted.has(`${dir}/${n}`) && plan.root.lstat(`${dir}/${n}`)?.type === 'file');
}

function packagesOf(plan: Plan, files: string[]): string[] {
  return [...new Set(files.map((f) => plan.packageOf.get(f)).filter((p): p is string => p !== undefined))].sort();
}

/** One comment line per distinct reason, each named once, then the packages the files come from. */
function comment(reasons: string[], packages: string[]): string {
  const lines = [...new Set(reasons)].map((r) => `# ${r.replace(/[\n\r]+/g, ' ')}`);
  if (packages.length) lines.push(`# from package${packages.length > 1 ? 's' : ''} ${packages.join(', ')}`);
  return lines.join('\n');
}

/** Directories named in the comment over the scaffold's ADD, each with why the program writes there; past this, a count. */
const MAX_WRITABLE_LINES = 20;

/** One comment line per directory the program writes into: where, and what it made there or which rule says so. */
function writableLines(plan: Plan): string {
  const dirs = [...plan.dirs.values()].filter((d) => d.writable).sort((a, b) => (a.path < b.path ? -1 : 1));
  const lines = dirs
    .slice(0, MAX_WRITABLE_LINES)
    .map((d) => `# ${d.path}: ${(d.reason ?? 'written by the program').replace(/[\n\r]+/g, ' ')}\n`);
  if (dirs.length > MAX_WRITABLE_LINES) lines.push(`# ... and ${dirs.length - MAX_WRITABLE_LINES} more written directories\n`);
  return lines.join('');
}

export interface DockerfileValues {
  source: string;
  command: string;
  dockerfile: string;
  scaffold: string;
  baseRef?: string;
  baseComment?: string;
  /** Copy from this stage of the user's own Dockerfile instead of an ARG-selected base. */
  fromStage?: string;
  user: string;
  entrypoint: string[];
  /** The base's CMD, kept when the program is the base's own entrypoint. */
  cmd?: string[];
  /** ENV, WORKDIR, EXPOSE, STOPSIGNAL, VOLUME, LABEL, HEALTHCHECK lines (base-config.ts). */
  run: string;
  /** 'archive': the whole root is in the build-context archive (ADD); 'copy' (default): COPY lines from the base. */
  carrier?: 'copy' | 'archive';
  /** The engine the build command in the header names (docker by default). */
  engine?: 'docker' | 'podman';
  /** The image's platform: the base is taken for it, and the header's build command labels the image with it. */
  platform?: string;
}

export function renderDockerfile(plan: Plan, v: DockerfileValues): string {
  const arg = v.baseRef
    ? `${v.baseComment ? `# ${v.baseComment}\n` : ''}ARG BASE=${v.baseRef}`
    : `# The image that holds these files: ${v.engine ?? 'docker'} build --build-arg BASE=<image> ...\nARG BASE`;
  // --platform: a plain build on a machine of another architecture must find the base for this one (BuildKit
  // would look for the build machine's, and ask a registry), and the image must be labelled with it.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG, expanded by the builder
  const baseArg = '${BASE}';
  const from = `FROM ${v.platform ? `--platform=${v.platform} ` : ''}${baseArg} AS base`;
  const base = v.fromStage ? `# Files come from the stage "${v.fromStage}" above.\n` : `${arg}\n${from}\n`;
  const builder = `${v.engine ?? 'docker'} build${v.platform ? ` --platform ${v.platform}` : ''}`;
  if (v.carrier === 'archive') {
    return render(readFileSync(join(packageRoot(), 'templates', 'Dockerfile.archive.tmpl'), 'utf8'), {
      source: v.source,
      command: v.command,
      dockerfile: v.dockerfile,
      scaffold: v.scaffold,
      writable: writableLines(plan),
      builder,
      run: v.run,
      user: v.user,
      entrypoint: JSON.stringify(v.entrypoint),
      cmd: v.cmd ? `# the base image's CMD (the program is its entrypoint)\nCMD ${JSON.stringify(v.cmd)}\n` : '',
    });
  }
  return render(readFileSync(join(packageRoot(), 'templates', 'Dockerfile.tmpl'), 'utf8'), {
    source: v.source,
    command: v.command,
    dockerfile: v.dockerfile,
    scaffold: v.scaffold,
    writable: writableLines(plan),
    builder,
    base,
    copies: `${copyLines(plan, v.fromStage ?? 'base').join('\n')}\n`,
    run: v.run,
    user: v.user,
    entrypoint: JSON.stringify(v.entrypoint),
    cmd: v.cmd ? `# the base image's CMD (the program is its entrypoint)\nCMD ${JSON.stringify(v.cmd)}\n` : '',
  });
}
