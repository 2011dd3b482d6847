import { machineName } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import { ElfFormatError } from '../elf/errors.js';
import { profileFor } from '../profiles/registry.js';
import { LookupError, type Root } from '../rootfs/root.js';
import { isElf } from '../resolve/load.js';
import { InputError } from '../resolve/input-error.js';
import { Resolver } from '../resolve/resolver.js';
import { runtimeNeeds } from '../runtime/needs.js';
import type { LinkMap, LoadedObject, Tried } from '../resolve/types.js';

export type ProblemKind = 'interpreter-missing' | 'libc-mismatch' | 'not-found' | 'wrong-class' | 'version' | 'no-version-info' | 'dlopen';

/** One thing the real loader (or the kernel, or the program) would trip over, in the order it would. */
export interface Problem {
  kind: ProblemKind;
  /** What the loader itself would print. */
  message: string;
  /** The name the loader looked for (a soname, an interpreter path, a version). */
  name: string;
  /** Program first, needing object last. */
  chain: string[];
  tried: Tried[];
  /** False for what the loader only warns about. */
  fatal: boolean;
  /** Set for version problems: the object that lacks the version. */
  provider?: string;
}

export interface Diagnosis {
  program: string;
  map: LinkMap;
  problems: Problem[];
  /** True when nothing fatal was found: the program would get past the loader. */
  starts: boolean;
}

function chainOf(o: LoadedObject | undefined): string[] {
  const out: string[] = [];
  for (let x = o; x; x = x.loader) out.unshift(x.path);
  return out;
}

const classLabel = (e: ElfFile) => `ELFCLASS${e.class}`;

/** The libc a root has, judged by the loaders it holds. */
function rootLibc(root: Root): 'glibc' | 'musl' | 'unknown' {
  const lib = root.readdir('/lib');
  if (lib.some((n) => n.startsWith('ld-musl-'))) return 'musl';
  if (root.exists('/lib64/ld-linux-x86-64.so.2') || root.exists('/lib/ld-linux.so.2') || root.exists('/lib/ld-linux-aarch64.so.1'))
    return 'glibc';
  return 'unknown';
}

/**
 * Simulates exec + ld.so for `program` against a target root and lists what would fail, with the loader's
 * own words: a missing interpreter, sonames not found (with the paths tried), wrong-class candidates, and
 * symbol versions (each DT_VERNEED entry against the DT_VERDEF of the object that provides it).
 */
export function diagnose(root: Root, program: string, options: { includes?: string[] } = {}): Diagnosis {
  const resolver = new Resolver(root);
  const map = resolver.loadProgram(program);
  const problems: Problem[] = [];
  const prog = map.program;

  if (map.missingInterpreter) {
    const interp = map.missingInterpreter;
    const musl = /ld-musl-/.test(interp);
    const has = rootLibc(root);
    const mismatch = (musl && has === 'glibc') || (!musl && /ld-linux|ld64/.test(interp) && has === 'musl');
    problems.push({
      kind: mismatch ? 'libc-mismatch' : 'interpreter-missing',
      name: interp,
      message: mismatch
        ? `exec ${program}: no such file or directory (a ${musl ? 'musl' : 'glibc'} binary; ${root.description} has ${has}: its interpreter ${interp} is not there)`
        : `exec ${program}: no such file or directory (its interpreter ${interp} is not in ${root.description})`,
      chain: [prog.path],
      tried: [{ path: interp, why: 'missing' }],
      fatal: true,
    });
  }

  const dlopened: { path: string; reason: string }[] = [];
  try {
    // Extension modules found by name only (an interpreter's *.so) count when they are ELF objects.
    for (const m of profileFor(root, program, prog.real, prog.elf)?.dlopen ?? [])
      if (!m.ifElf || isElf(resolver, root, m.path)) dlopened.push(m);
  } catch {
    // A target without the program's configuration (nginx.conf) is diagnosed for the binary alone.
  }
  for (const inc of options.includes ?? []) dlopened.push({ path: inc, reason: `--include ${inc}` });
  for (const d of dlopened) {
    try {
      resolver.dlopen(map, d.path);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push({
        kind: 'dlopen',
        name: d.path,
        chain: [prog.path],
        tried: [{ path: d.path, why: 'missing' }],
        fatal: true,
        message: `dlopen() "${d.path}" failed (${d.path}: cannot open shared object file: No such file or directory) (${d.reason})`,
      });
    }
  }

  // Load order: what glibc maps breadth-first fails first.
  for (const o of map.objects) {
    for (const dep of o.deps) {
      if (dep.object) continue;
      const wrong = dep.tried.find((t) => t.why === 'wrong class' || t.why === 'wrong machine');
      const chain = [...chainOf(o), dep.name];
      if (wrong) {
        const cand = safeElf(resolver, root, wrong.path);
        problems.push({
          kind: 'wrong-class',
          name: dep.name,
          chain,
          tried: dep.tried,
          fatal: true,
          message: `error while loading shared libraries: ${dep.name}: ${wrong.why === 'wrong class' ? `wrong ELF class: ${cand ? classLabel(cand) : '?'}` : `ELF file machine ${cand ? machineName(cand.machine) : '?'} does not match ${machineName(o.elf.machine)}`} (found ${wrong.path})`,
        });
      } else {
        problems.push({
          kind: 'not-found',
          name: dep.name,
          chain,
          tried: dep.tried,
          fatal: true,
          message: `error while loading shared libraries: ${dep.name}: cannot open shared object file: No such file or directory`,
        });
      }
    }
  }

  // Symbol versions, checked as _dl_check_map_versions does once everything is mapped.
  for (const o of map.objects) {
    const full = safeElf(resolver, root, o.real, true);
    for (const need of full?.verneed ?? []) {
      const dep = o.deps.find((d) => d.name === need.file)?.object ?? map.objects.find((x) => x.elf.soname === need.file);
      if (!dep) continue;
      const provided = safeElf(resolver, root, dep.real, true)?.verdef ?? [];
      if (provided.length === 0) {
        problems.push({
          kind: 'no-version-info',
          name: need.file,
          chain: chainOf(o),
          tried: [],
          fatal: false,
          provider: dep.path,
          message: `${o.path}: ${dep.path}: no version information available (required by ${o.path})`,
        });
        continue;
      }
      for (const v of need.versions) {
        if (provided.includes(v)) continue;
        const weak = need.weak.includes(v);
        problems.push({
          kind: 'version',
          name: v,
          chain: chainOf(o),
          tried: [],
          fatal: !weak,
          provider: dep.path,
          message: `${prog.path}: ${dep.path}: version \`${v}' not found (required by ${o.path})${newestNote(provided, v)}`,
        });
      }
    }
  }
  // Run-time loads glibc would attempt: NSS modules named in nsswitch.conf, libgcc_s for thread cancellation.
  // glibc skips a missing NSS module and aborts only when unwinding needs libgcc_s: warnings, not failures.
  if (map.libc === 'glibc') {
    for (const w of runtimeNeeds(root, resolver, map, { gconv: false, caCerts: false }).warnings) {
      const name = /(lib\S+\.so\.\d+)/.exec(w)?.[1] ?? 'run-time load';
      problems.push({ kind: 'dlopen', name, message: w, chain: [prog.path], tried: [], fatal: false });
    }
  }
  return { program, map, problems, starts: !problems.some((p) => p.fatal) };
}

function safeElf(resolver: Resolver, root: Root, path: string, versions = false): ElfFile | undefined {
  try {
    const real = root.resolve(path).path;
    return versions ? root.readElf(real) : resolver.elf(real);
  } catch (e) {
    if (e instanceof ElfFormatError || e instanceof LookupError) return undefined;
    throw e;
  }
}

/** "(the image's libc.so.6 provides up to GLIBC_2.31)": what the user needs to know to pick a base. */
function newestNote(provided: string[], wanted: string): string {
  const family = wanted.replace(/_[\d.]+$/, '');
  const same = provided.filter((p) => p.startsWith(`${family}_`) && /_[\d.]+$/.test(p));
  if (same.length === 0) return '';
  const num = (s: string) =>
    s
      .slice(family.length + 1)
      .split('.')
      .map(Number);
  const newest = same
    .sort((a, b) => {
      const x = num(a);
      const y = num(b);
      for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
      return 0;
    })
    .pop();
  return `; it provides up to ${newest}`;
}
