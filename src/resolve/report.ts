import { machineName } from '../elf/constants.js';
import type { Dependency, How, HowKind, LinkMap, LoadedObject, Tried } from './types.js';

export function howLabel(how: How): string {
  return how.owner ? `${how.kind} of ${how.owner}` : how.kind;
}

const RULE_NAMES: Record<HowKind, string> = {
  program: 'the program',
  include: '--include',
  interpreter: 'PT_INTERP',
  path: 'a DT_NEEDED name with a slash',
  rpath: 'DT_RPATH',
  ld_library_path: 'LD_LIBRARY_PATH',
  runpath: 'DT_RUNPATH',
  'ld.so.cache': '/etc/ld.so.cache',
  default: "the loader's default directories",
  'musl-path': "musl's library path",
  'musl-libc': "musl's own libc",
};

/** The loader's rule in words: "DT_RUNPATH $ORIGIN/../lib of /opt/greeter/bin/greeter". */
export function ruleText(how: How): string {
  const entry = how.entry !== undefined && how.kind !== 'default' && how.kind !== 'musl-path' ? ` ${how.entry}` : '';
  return `${RULE_NAMES[how.kind]}${entry}${how.owner ? ` of ${how.owner}` : ''}`;
}

/** "tried PATH: missing (DT_RUNPATH $ORIGIN/../lib of /app/bin/prog)". */
export function triedText(t: Tried): string {
  const why = [t.detail, t.how && ruleText(t.how)].filter(Boolean).join('; ');
  return `tried ${t.path}: ${t.why}${why ? ` (${why})` : ''}`;
}

/** libtree-style tree: each object expanded once, later mentions marked, misses with the paths tried. */
export function renderTree(maps: LinkMap[]): string {
  const lines: string[] = [];
  for (const map of maps) {
    const expanded = new Set<LoadedObject>();
    const p = map.program;
    lines.push(`${p.path}${p.real !== p.path ? ` => ${p.real}` : ''} [${map.libc}]`);
    if (map.missingInterpreter)
      lines.push(`  interpreter ${map.missingInterpreter} not found (exec fails with "no such file or directory")`);
    const roots = map.objects.filter((o) => o === p || o.how.kind === 'include');
    for (const r of roots) {
      if (r !== p) lines.push(`${r.path} [include]`);
      expanded.add(r);
      walk(r.deps, '', expanded, lines);
    }
  }
  return `${lines.join('\n')}\n`;
}

function walk(deps: Dependency[], indent: string, expanded: Set<LoadedObject>, lines: string[]): void {
  deps.forEach((d, i) => {
    const last = i === deps.length - 1;
    const branch = indent + (last ? '└── ' : '├── ');
    const next = indent + (last ? '    ' : '│   ');
    if (!d.object) {
      lines.push(`${branch}${d.name} not found`);
      for (const t of d.tried) lines.push(`${next}  ${triedText(t)}`);
      return;
    }
    const o = d.object;
    const seen = expanded.has(o);
    lines.push(`${branch}${d.name} => ${o.path} [${howLabel(o.how)}]${seen && o.deps.length > 0 ? ' (see above)' : ''}`);
    if (!seen) {
      expanded.add(o);
      walk(o.deps, next, expanded, lines);
    }
  });
}

/** One path per line, as the loader opens it, each once, in load order (interpreter included). */
export function renderList(maps: LinkMap[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  // Indexed loops here and in missingOf: they run over every object of every program, often before the JIT
  // has optimized them, and an unoptimized for-of allocates a result object per step.
  for (let i = 0; i < maps.length; i++) {
    const objects = maps[i].objects;
    for (let j = 0; j < objects.length; j++) {
      const path = objects[j].path;
      if (!seen.has(path)) {
        seen.add(path);
        out.push(path);
      }
    }
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

export function missingOf(maps: LinkMap[]): { name: string; neededBy: string }[] {
  const out: { name: string; neededBy: string }[] = [];
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    if (m.missingInterpreter) out.push({ name: m.missingInterpreter, neededBy: m.program.path });
    for (let j = 0; j < m.objects.length; j++) {
      const o = m.objects[j];
      for (let k = 0; k < o.deps.length; k++) if (!o.deps[k].object) out.push({ name: o.deps[k].name, neededBy: o.path });
    }
  }
  return out;
}

export function toJson(maps: LinkMap[]) {
  return maps.map((m) => ({
    program: m.program.path,
    libc: m.libc,
    interpreter: m.program.elf.interpreter ?? null,
    missingInterpreter: m.missingInterpreter ?? null,
    objects: m.objects.map((o) => ({
      name: o.name,
      path: o.path,
      real: o.real,
      links: o.hops,
      how: o.how.kind,
      owner: o.how.owner ?? null,
      dlopenReason: o.dlopenReason ?? null,
      neededBy: o.loader?.path ?? null,
      class: `ELFCLASS${o.elf.class}`,
      machine: machineName(o.elf.machine),
      soname: o.elf.soname ?? null,
      size: o.size,
      needed: o.deps.map((d) => ({ name: d.name, path: d.object?.path ?? null, tried: d.object ? undefined : d.tried })),
    })),
  }));
}
