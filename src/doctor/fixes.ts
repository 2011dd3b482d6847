import type { Root } from '../rootfs/root.js';
import { InputError } from '../resolve/input-error.js';
import { Resolver } from '../resolve/resolver.js';
import type { LinkMap, LoadedObject } from '../resolve/types.js';
import type { Diagnosis, Problem } from './diagnose.js';
import { copyInstruction } from '../generate/dockerfile-words.js';
import { asOpened } from './found-elsewhere.js';

/** glibc's own libraries: they must all come from one glibc build, with its loader. */
const GLIBC_SONAMES =
  /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libresolv\.so\.2|libanl\.so\.1|libmvec\.so\.1|ld-linux[^/]*\.so\.\d+|ld64\.so\.\d+)$/;

export interface Fix {
  problem: Problem;
  lines: string[];
  /** The same copies as paths: from the base, to the target. */
  copies: { from: string; to: string }[];
  note?: string;
}

function _parent(p: string): string {
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

/** The object the base resolves for `name` in the same program, with everything it needs in turn. */
function closure(map: LinkMap, name: string): LoadedObject[] {
  const start = map.objects.flatMap((o) => o.deps).find((d) => d.name === name)?.object;
  if (!start) return [];
  const out: LoadedObject[] = [];
  const queue = [start];
  while (queue.length) {
    const o = queue.shift()!;
    if (out.includes(o)) continue;
    out.push(o);
    for (const d of o.deps) if (d.object) queue.push(d.object);
  }
  return out;
}

/**
 * The COPY lines that fix each fatal problem, taking files from `base`: the missing library (and what it
 * needs that the target lacks) at the path the loader would open, the interpreter, or glibc's whole set
 * when a glibc version is too old (libc and its loader must match).
 */
export function fixesFor(d: Diagnosis, target: Root, base: Root): Fix[] {
  // The base need not hold the program itself: its DT_NEEDED names are resolved there all the same.
  const baseResolver = new Resolver(base);
  let baseMap: LinkMap;
  try {
    baseMap = baseResolver.loadProgram(d.program);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    baseMap = baseResolver.loadAs(d.program, d.map.program.elf);
  }
  const inTarget = (name: string) => d.map.objects.some((o) => o.name === name || o.elf.soname === name);
  const fixes: Fix[] = [];
  const done = new Set<string>();
  const add = (fix: Fix, src: LoadedObject, dest: string) => {
    if (done.has(dest)) return;
    done.add(dest);
    // The destination as the target has it (a link there is followed, as the loader follows it); the source by
    // the path the base's loader opens (COPY dereferences it), landing under the target's name.
    const to = asOpened(target, dest);
    fix.lines.push(copyInstruction('base', [src.path], to));
    fix.copies.push({ from: src.path, to });
  };
  for (const p of d.problems.filter((x) => x.fatal)) {
    const fix: Fix = { problem: p, lines: [], copies: [] };
    if (p.kind === 'interpreter-missing' || p.kind === 'libc-mismatch') {
      const interp = baseMap.objects.find((o) => o.how.kind === 'interpreter');
      if (interp && interp.path === p.name) {
        add(fix, interp, interp.path);
        for (const o of baseMap.objects) if (o !== interp && o !== baseMap.program && !inTarget(o.name)) add(fix, o, o.path);
      } else {
        fix.note = `${base.description} has no ${p.name} either`;
      }
    } else if (p.kind === 'not-found' || p.kind === 'wrong-class') {
      const objs = closure(baseMap, p.name).filter((o) => o.how.kind !== 'interpreter' && (o.name === p.name || !inTarget(o.name)));
      if (objs.length === 0) fix.note = `${base.description} cannot resolve ${p.name} either`;
      for (const o of objs) add(fix, o, o.path);
    } else if (p.kind === 'version') {
      const provider = d.map.objects.find((o) => o.path === p.provider);
      const soname = provider?.elf.soname ?? provider?.name ?? '';
      const fromBase = baseMap.objects.find((o) => o.elf.soname === soname || o.name === soname);
      if (!fromBase) {
        fix.note = `${base.description} has no ${soname} for ${d.program}`;
      } else if (GLIBC_SONAMES.test(soname)) {
        fix.note = 'glibc is replaced as a whole: its libraries and loader must come from one build';
        for (const o of baseMap.objects) {
          const name = o.elf.soname ?? o.name;
          if (o.how.kind !== 'interpreter' && !GLIBC_SONAMES.test(name)) continue;
          const targetObj = d.map.objects.find((t) => (t.elf.soname ?? t.name) === name);
          add(fix, o, targetObj?.path ?? o.path);
        }
      } else {
        add(fix, fromBase, provider!.path);
      }
    }
    fixes.push(fix);
  }
  return fixes;
}
