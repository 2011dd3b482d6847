import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { ScratchifyError } from '../errors.js';
import { parentOf, type Plan } from './plan.js';

/** BuildKit refuses images over 127 layers; stay far below, leaving the user room for their own steps. */
export const MAX_COPY_LINES = 100;


export function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    if (!(k in values)) throw new Error(`template names {{${k}}}, which the generator does not supply`);
    return values[k];
  });
}

/** Plain form where every path is plain; the JSON-array form for spaces, quotes or a `$`; newlines refused. */
function copyLine(from: string, sources: string[], dest: string): string {
  const all = [...sources, dest];
  for (const p of all) {
    if (/[\n\r]/.test(p)) {
      throw new ScratchifyError('USAGE', `${JSON.stringify(p)}: a path with a newline cannot be written in a Dockerfile`, { hint: 'rename it in the base image' });
    }
  }
  if (all.every((p) => /^[A-Za-z0-9_@%+=:,./~-]+$/.test(p))) return `COPY --from=${from} ${all.join(' ')}`;
  return `COPY --from=${from} ${JSON.stringify(all)}`;
}

function summarize(reasons: string[], max = 3): string {
  const uniq = [...new Set(reasons)];
  const shown = uniq.slice(0, max).join('; ');
  return uniq.length > max ? `${shown}; and ${uniq.length - max} more` : shown;
}

/** COPY lines: one per destination directory (all its files, sorted) and one per whole tree. */
export function copyLines(plan: Plan, from = 'base'): string[] {
  const groups = new Map<string, { files: string[]; reasons: string[] }>();
  for (const f of plan.files.values()) {
    const dir = parentOf(f.path);
    let g = groups.get(dir);
    if (!g) groups.set(dir, (g = { files: [], reasons: [] }));
    g.files.push(f.path);
    g.reasons.push(...f.reasons);
  }
  const blocks: { key: string; text: string }[] = [];
  for (const [dir, g] of groups) {
    g.files.sort();
    blocks.push({ key: dir, text: `# ${summarize(g.reasons)}\n${copyLine(from, g.files, dir === '/' ? '/' : `${dir}/`)}` });
  }
  for (const t of plan.trees.values()) {
    // Trailing slashes say what COPY does with a directory: its contents go into the same directory.
    blocks.push({ key: t.path, text: `# ${summarize(t.reasons)}\n${copyLine(from, [`${t.path}/`], `${t.path}/`)}` });
  }
  if (blocks.length > MAX_COPY_LINES) {
    throw new ScratchifyError('USAGE', `the image would need ${blocks.length} COPY layers, over ${MAX_COPY_LINES}`, {
      hint: 'include whole directories (--include /dir) instead of many single files',
    });
  }
  return blocks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((b) => b.text);
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
  expose: string[];
}

export function renderDockerfile(plan: Plan, v: DockerfileValues): string {
  const arg = v.baseRef
    ? `${v.baseComment ? `# ${v.baseComment}\n` : ''}ARG BASE=${v.baseRef}`
    : '# The image that holds these files: docker build --build-arg BASE=<image> ...\nARG BASE';
  const base = v.fromStage ? `# Files come from the stage "${v.fromStage}" above.\n` : `${arg}\nFROM \${BASE} AS base\n`;
  return render(readFileSync(join(packageRoot(), 'templates', 'Dockerfile.tmpl'), 'utf8'), {
    source: v.source,
    command: v.command,
    dockerfile: v.dockerfile,
    scaffold: v.scaffold,
    base,
    copies: copyLines(plan, v.fromStage ?? 'base').join('\n') + '\n',
    expose: v.expose.map((p) => `EXPOSE ${p}\n`).join(''),
    user: v.user,
    entrypoint: JSON.stringify(v.entrypoint),
  });
}
