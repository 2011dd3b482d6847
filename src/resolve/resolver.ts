import type { ElfFile } from '../elf/file.js';
import { ElfFormatError, NotElfError } from '../elf/errors.js';
import { DF_1_NODEFLIB, ET_DYN } from '../elf/constants.js';
import { linuxAcceptsOsAbi } from '../elf/abi.js';
import { LookupError, type Root } from '../rootfs/root.js';
import { LdCacheIndex } from './cache-index.js';
import { InputError } from './input-error.js';
import {
  expandTokens,
  glibcDefaultDirs,
  legacySubdirs,
  loaderFacts,
  isMuslReservedName,
  type LoaderFacts,
  libToken,
  muslSysPath,
  loaderPlatform,
  splitPath,
  standardGlibcInterpreter,
} from './searchpath.js';
import { HOW, NOTHING_TRIED, type Process } from './process.js';
import type { Dependency, How, LinkMap, LoadedObject, ResolveOptions, Tried } from './types.js';

/**
 * Loads programs the way glibc's ld.so (or musl's) would, inside a Root: PT_INTERP, then DT_NEEDED
 * breadth-first, each name searched in the loader's order. Parsed headers are shared between processes.
 */
export class Resolver {
  private readonly elfs = new Map<string, ElfFile | ElfFormatError>();
  private readonly hwcaps: readonly string[];
  readonly warnings: string[] = [];
  private readonly cache: LdCacheIndex;

  constructor(
    readonly root: Root,
    readonly options: ResolveOptions = {},
  ) {
    this.hwcaps = options.hwcaps ?? [];
    this.cache = new LdCacheIndex(root, this.hwcaps, this.warnings);
  }

  /** Parsed ELF header of a file by its real path in the root; format errors are cached too. */
  elf(real: string): ElfFile {
    let e = this.elfs.get(real);
    if (e === undefined) {
      try {
        // Symbol versions are not needed to find libraries; skipping them saves a sixth of the parse time.
        e = this.root.readElf(real, { versions: false });
      } catch (err) {
        if (!(err instanceof ElfFormatError)) throw err;
        e = err;
      }
      this.elfs.set(real, e);
    }
    if (e instanceof ElfFormatError) throw e;
    return e;
  }

  /** Everything the loader maps when `path` is executed. Throws InputError when `path` cannot be used. */
  loadProgram(path: string): LinkMap {
    return this.start(this.openInput(path, HOW.program));
  }

  /**
   * A process for a program this root does not have, described by its ELF header (taken from another
   * image): what its DT_NEEDED names resolve to here, without its own RPATH/RUNPATH directories.
   */
  loadAs(path: string, elf: ElfFile): LinkMap {
    const stripped: ElfFile = { ...elf, rpath: undefined, runpath: undefined };
    return this.start(this.newObject(path, path, path, [], stripped, 0, HOW.program));
  }

  private start(program: LoadedObject): LinkMap {
    const path = program.path;
    const map: LinkMap = { program, objects: [program], libc: 'static' };
    const proc: Process = { map, byReal: new Map([[program.real, program]]), byName: new Map(), defaults: [], legacy: [] };
    this.addNames(proc, program);
    const interp = program.elf.interpreter ?? this.implicitInterpreter(program.elf);
    if (interp) {
      const r = this.root.lookup(interp);
      let interpObj: LoadedObject | undefined;
      if (r && r.entry.type === 'file') {
        try {
          interpObj = this.newObject(interp, interp, r.path, r.hops, this.elf(r.path), r.entry.size, HOW.interpreter);
        } catch (e) {
          if (!(e instanceof ElfFormatError)) throw e;
          this.warnings.push(`${path}: interpreter ${interp} is not a usable ELF file: ${e.reason}`);
        }
      }
      if (!interpObj) map.missingInterpreter = interp;
      const musl = /\/ld-musl-[^/]+\.so\.1$/.test(interp);
      map.libc = musl ? 'musl' : /\/ld-linux[^/]*\.so\.\d+$|\/ld\.so\.\d+$|\/ld64\.so\.\d+$/.test(interp) ? 'glibc' : 'other';
      if (interpObj) {
        this.register(proc, interpObj);
        if (musl) proc.musl = { interp: interpObj, path: muslSysPath(this.root, interp) };
      }
      if (interpObj && !musl) {
        const facts = this.facts(interpObj);
        proc.defaults = facts.systemDirs ?? glibcDefaultDirs(interpObj.real, interpObj.elf);
        if (facts.legacyHwcaps) proc.legacy = legacySubdirs(program.elf);
      } else {
        proc.defaults = glibcDefaultDirs(interpObj?.real, program.elf);
      }
    } else if (program.elf.dynamic && program.elf.needed.length > 0) {
      map.libc = 'other';
      proc.defaults = glibcDefaultDirs(undefined, program.elf);
    }
    this.loadDeps(proc, program);
    // The interpreter's own needs (none for glibc's or musl's) still get walked, for odd interpreters.
    for (const o of [...map.objects]) if (o.how.kind === 'interpreter' && o.deps.length === 0) this.loadDeps(proc, o);
    this.processes.set(map, proc);
    return map;
  }

  private readonly processes = new WeakMap<LinkMap, Process>();
  private readonly loaders = new Map<string, LoaderFacts>();

  /** What the process's ld.so says about its search (trusted directories, legacy subdirectories), read once. */
  private facts(interp: LoadedObject): LoaderFacts {
    let f = this.loaders.get(interp.real);
    if (!f) {
      f = loaderFacts(this.root, interp.real);
      this.loaders.set(interp.real, f);
    }
    return f;
  }

  /** A shared object given as the program runs under the standard loader when the root has it. */
  private implicitInterpreter(elf: ElfFile): string | undefined {
    if (elf.type !== ET_DYN || !elf.dynamic || elf.needed.length === 0) return undefined;
    const std = standardGlibcInterpreter(elf);
    return std && this.root.exists(std) ? std : undefined;
  }

  /** Loads `path` into a program's process as dlopen from the program would (nginx modules, --include). */
  dlopen(map: LinkMap, path: string, reason?: string): LoadedObject {
    const proc = this.processes.get(map)!;
    const r = this.root.lookup(path);
    const existing = r && proc.byReal.get(r.path);
    if (existing) return existing;
    const obj = this.openInput(path, HOW.include);
    obj.dlopenReason = reason;
    obj.loader = map.program;
    this.register(proc, obj);
    this.loadDeps(proc, obj);
    return obj;
  }

  /**
   * Loads objects a run is known to have loaded together (a traced run's): all of them are in the link map before
   * any one's DT_NEEDED is searched, so a name one of them answers is found whichever came first. A launcher that
   * dlopens libjvm.so by its path before the class library's libjava.so needs it by name works the same way.
   */
  dlopenAll(map: LinkMap, items: readonly { path: string; reason: string }[]): void {
    const proc = this.processes.get(map)!;
    const fresh: LoadedObject[] = [];
    for (const { path, reason } of items) {
      const r = this.root.lookup(path);
      if (r && proc.byReal.has(r.path)) continue;
      const obj = this.openInput(path, HOW.include);
      obj.dlopenReason = reason;
      obj.loader = map.program;
      this.register(proc, obj);
      fresh.push(obj);
    }
    for (const obj of fresh) this.loadDeps(proc, obj);
  }

  /**
   * Loads a library by name as `needing` would dlopen it (libc opening libgcc_s.so.1 or an NSS module):
   * the same search, with that object's paths. Undefined when nothing is found.
   */
  dlopenName(map: LinkMap, name: string, needing: LoadedObject): LoadedObject | undefined {
    const proc = this.processes.get(map)!;
    const dep = this.find(proc, needing, name);
    if (dep.object && !dep.reused) this.loadDeps(proc, dep.object);
    return dep.object;
  }

  private openInput(path: string, how: How): LoadedObject {
    let r: ReturnType<Root['resolve']>;
    try {
      r = this.root.resolve(path);
    } catch (e) {
      if (e instanceof LookupError) throw new InputError(path, e, this.root.description);
      throw e;
    }
    if (r.entry.type !== 'file')
      throw new InputError(path, new ElfFormatError(path, 0, `is a ${r.entry.type}, not a file`), this.root.description);
    try {
      return this.newObject(path, path, r.path, r.hops, this.elf(r.path), r.entry.size, how);
    } catch (e) {
      if (e instanceof ElfFormatError) {
        throw new InputError(path, e instanceof NotElfError ? new NotElfError(path, e.shebang) : e, this.root.description);
      }
      throw e;
    }
  }

  private newObject(
    name: string,
    path: string,
    real: string,
    hops: LoadedObject['hops'],
    elf: ElfFile,
    size: number,
    how: How,
    loader?: LoadedObject,
  ): LoadedObject {
    return { name, path, real, hops, elf, size, how, loader, deps: [] };
  }

  private addNames(proc: Process, obj: LoadedObject): void {
    proc.byName.set(obj.name, obj);
    proc.byName.set(obj.path, obj);
    if (obj.elf.soname && !proc.byName.has(obj.elf.soname)) proc.byName.set(obj.elf.soname, obj);
  }

  private register(proc: Process, obj: LoadedObject): void {
    proc.byReal.set(obj.real, obj);
    proc.map.objects.push(obj);
    this.addNames(proc, obj);
  }

  /** Breadth-first over DT_NEEDED, as _dl_map_object_deps does. */
  private loadDeps(proc: Process, start: LoadedObject): void {
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const obj = queue[i];
      const needed = obj.elf.needed;
      // Indexed, not for-of: this runs for every DT_NEEDED of every program, mostly before the JIT optimizes it.
      for (let j = 0; j < needed.length; j++) {
        const name = needed[j];
        const dep = this.find(proc, obj, name);
        obj.deps.push(dep);
        if (dep.object && !dep.reused) queue.push(dep.object);
      }
    }
  }

  private origin(obj: LoadedObject): string {
    // The kernel gives the loader the program's resolved path (/proc/self/exe); libraries keep the path opened.
    const p = obj.how.kind === 'program' ? obj.real : obj.path;
    return p.slice(0, p.lastIndexOf('/')) || '/';
  }

  private tokens(proc: Process, obj: LoadedObject) {
    return { ORIGIN: this.origin(obj), LIB: libToken(proc.defaults), PLATFORM: loaderPlatform(obj.elf) };
  }

  private find(proc: Process, loader: LoadedObject, name: string): Dependency {
    const loaded = proc.byName.get(name);
    if (loaded) return { name, object: loaded, reused: true, tried: NOTHING_TRIED };
    if (proc.musl && isMuslReservedName(name)) return { name, object: proc.musl.interp, reused: true, tried: NOTHING_TRIED };
    const tried: Tried[] = [];
    const before = proc.map.objects.length;
    let object: LoadedObject | undefined;
    if (name.includes('/')) {
      const path = expandTokens(name, this.tokens(proc, loader));
      if (path !== undefined) object = this.tryOpen(proc, loader, name, path, HOW.path, tried);
    } else {
      object = proc.musl ? this.searchMusl(proc, loader, name, tried) : this.searchGlibc(proc, loader, name, tried);
    }
    // A search can end at a file already loaded under another name: that is no new object either.
    const reused = object !== undefined && proc.map.objects.length === before;
    return { name, object, reused, tried: tried.length > 0 ? tried : NOTHING_TRIED };
  }

  /** glibc elf/dl-load.c _dl_map_object, for a name without a slash. */
  private searchGlibc(proc: Process, loader: LoadedObject, name: string, tried: Tried[]): LoadedObject | undefined {
    let found: LoadedObject | undefined;
    // DT_RPATH counts only while the needing object has no DT_RUNPATH; then the RPATHs of its loaders up
    // the chain are searched too, ending with the program's own.
    if (!loader.elf.runpath) {
      const main = proc.map.program;
      let sawMain = false;
      for (let l: LoadedObject | undefined = loader; l && !found; l = l.loader) {
        if (l === main) sawMain = true;
        if (l.elf.rpath) found = this.searchDirs(proc, l, splitPath(l.elf.rpath), name, { kind: 'rpath', owner: l.path }, tried);
      }
      if (!found && !sawMain && main.elf.rpath)
        found = this.searchDirs(proc, main, splitPath(main.elf.rpath), name, { kind: 'rpath', owner: main.path }, tried);
    }
    // LD_LIBRARY_PATH; its $ORIGIN is the program's.
    if (!found && this.options.libraryPath) {
      found = this.searchDirs(proc, proc.map.program, this.options.libraryPath, name, HOW.ldLibraryPath, tried, loader);
    }
    // DT_RUNPATH of the needing object only: it does not carry over to what that object's libraries need.
    if (!found && loader.elf.runpath) {
      found = this.searchDirs(proc, loader, splitPath(loader.elf.runpath), name, { kind: 'runpath', owner: loader.path }, tried);
    }
    // DF_1_NODEFLIB keeps the loader out of both ld.so.cache and its default directories.
    const nodeflib = (loader.elf.flags1 & DF_1_NODEFLIB) !== 0;
    if (!found && !nodeflib) {
      const entry = this.cache.lookup(loader.elf, name);
      if (entry) found = this.tryOpen(proc, loader, name, entry.path, HOW.cache, tried);
    }
    if (!found && !nodeflib) {
      found = this.searchDirs(proc, loader, proc.defaults, name, HOW.default, tried, loader, false);
    }
    return found;
  }

  /** musl ldso/dynlink.c load_library: LD_LIBRARY_PATH, the rpath of the object and its loaders, then the system path. */
  private searchMusl(proc: Process, loader: LoadedObject, name: string, tried: Tried[]): LoadedObject | undefined {
    let found: LoadedObject | undefined;
    if (this.options.libraryPath) {
      found = this.searchDirs(proc, proc.map.program, this.options.libraryPath, name, HOW.ldLibraryPath, tried, loader);
    }
    for (let l: LoadedObject | undefined = loader; l && !found; l = l.loader) {
      // musl reads DT_RUNPATH over DT_RPATH and treats either like an inherited rpath.
      const rp = l.elf.runpath ?? l.elf.rpath;
      found = this.searchDirs(proc, l, splitPath(rp), name, { kind: l.elf.runpath ? 'runpath' : 'rpath', owner: l.path }, tried, loader);
    }
    if (!found) found = this.searchDirs(proc, loader, proc.musl!.path, name, HOW.muslPath, tried, loader, false);
    return found;
  }

  /**
   * Tries `name` in each directory of a search path. `owner` supplies $ORIGIN; `needing` is the object whose
   * class and machine a candidate must match (the needing object, even when the path came from an ancestor).
   */
  private searchDirs(
    proc: Process,
    owner: LoadedObject,
    dirs: string[],
    name: string,
    how: How,
    tried: Tried[],
    needing = owner,
    expand = true,
  ): LoadedObject | undefined {
    if (dirs.length === 0) return undefined;
    const tokens = expand ? this.tokens(proc, owner) : undefined;
    for (const raw of dirs) {
      const dir = tokens ? expandTokens(raw, tokens) : raw;
      if (dir === undefined) continue;
      const at: How = expand ? { ...how, entry: raw } : how;
      const base = dir.endsWith('/') ? dir.slice(0, -1) : dir;
      for (const sub of this.hwcaps) {
        const hit = this.tryOpen(proc, needing, name, `${base}/glibc-hwcaps/${sub}/${name}`, at, tried);
        if (hit) return hit;
      }
      // Legacy subdirectories are tried only where they exist, so the list of paths tried stays readable.
      for (const sub of proc.legacy) {
        if (!this.root.isDir(`${base}/${sub}`)) continue;
        const hit = this.tryOpen(proc, needing, name, `${base}/${sub}/${name}`, at, tried);
        if (hit) return hit;
      }
      const hit = this.tryOpen(proc, needing, name, `${base}/${name}`, at, tried);
      if (hit) return hit;
    }
    return undefined;
  }

  /** open_verify: the candidate must exist and match the needing object's class, byte order and machine. */
  private tryOpen(proc: Process, needing: LoadedObject, name: string, path: string, how: How, tried: Tried[]): LoadedObject | undefined {
    const r = this.root.lookup(path);
    if (r?.entry.type !== 'file') {
      tried.push({ path, why: r ? 'not a file' : 'missing', how });
      return undefined;
    }
    // The same file under another name is the same object (glibc compares device and inode).
    const same = proc.byReal.get(r.path);
    if (same) {
      proc.byName.set(name, same);
      return same;
    }
    let elf: ElfFile;
    try {
      elf = this.elf(r.path);
    } catch (e) {
      if (!(e instanceof ElfFormatError)) throw e;
      tried.push({ path, why: e instanceof NotElfError ? 'not ELF' : 'unreadable', detail: e.reason, how });
      return undefined;
    }
    const want = needing.elf;
    const why: Tried['why'] | undefined =
      elf.class !== want.class
        ? 'wrong class'
        : elf.data !== want.data
          ? 'wrong byte order'
          : elf.machine !== want.machine
            ? 'wrong machine'
            : !linuxAcceptsOsAbi(elf.osabi)
              ? 'wrong OS ABI'
              : undefined;
    if (why) {
      tried.push({ path, why, detail: `ELFCLASS${elf.class}, ${elf.data}, machine ${elf.machine}`, how });
      return undefined;
    }
    const obj = this.newObject(name, path, r.path, r.hops, elf, r.entry.size, how, needing);
    this.register(proc, obj);
    return obj;
  }
}
