import type { ElfFile } from '../elf/file.js';
import type { Root } from '../rootfs/root.js';
import { emptyProfile, type ProfileContext, type ProfileResult } from './types.js';

/**
 * A JDK launcher (java, and a jlink'ed runtime's bin/java) links the launcher library, libjli.so, found through
 * its RUNPATH $ORIGIN/../lib: that, not the program's name, says it finds the rest of the runtime from its own
 * resolved path.
 */
export function isJvmLauncher(elf: ElfFile | undefined): boolean {
  return elf?.needed.includes('libjli.so') ?? false;
}

/** Modules of the class library that only a desktop uses (X11, sound, the splash screen): never for a service. */
const DESKTOP = new Set(['libawt_xawt.so', 'libjawt.so', 'libsplashscreen.so', 'libjsound.so']);
/** What only the compiler and tools of a JDK read (javac's symbol table, the sources). */
const TOOLS_ONLY = new Set(['ct.sym', 'src.zip', 'jmods']);

/** The VM the launcher picks without -server/-client: the first KNOWN line of lib/jvm.cfg. */
export function defaultVm(cfg: string | undefined): string {
  for (const line of (cfg ?? '').split('\n')) {
    const m = /^-(\S+)\s+KNOWN\b/.exec(line.trim());
    if (m) return m[1];
  }
  return 'server';
}

/**
 * Every link under `dir` leads somewhere the image needs too: Debian's conf/ files are links into
 * /etc/java-N-openjdk, lib/security/cacerts one into /etc/ssl/certs/java. Returns the real paths they reach.
 */
function linkTargets(root: Root, dir: string, depth = 0): string[] {
  if (depth > 8) return [];
  const out: string[] = [];
  for (const name of root.readdir(dir)) {
    const p = `${dir}/${name}`;
    const e = root.lstat(p);
    if (e?.type === 'dir') out.push(...linkTargets(root, p, depth + 1));
    else if (e?.type === 'symlink') {
      const r = root.lookup(p);
      if (r && !r.path.startsWith(`${dir}/`)) out.push(r.path);
    }
  }
  return out;
}

/**
 * The JVM as its launcher loads it, read from the runtime's files: lib/jvm.cfg names the default VM, whose
 * libjvm.so the launcher dlopens by its path (before the class library's libjava.so needs it by name); the class
 * library's own modules in lib/ (desktop ones left out); lib/modules (the classes), the time-zone and security
 * data, conf/, and the files those link to outside the runtime (the CA store). The JDK's tools are not carried.
 */
export function jvmProfile(ctx: ProfileContext): ProfileResult {
  const { root } = ctx;
  const out = emptyProfile('jvm');
  const bin = ctx.real.slice(0, ctx.real.lastIndexOf('/'));
  const home = bin.slice(0, bin.lastIndexOf('/')) || '/';
  const lib = `${home}/lib`;
  const cfg = root.readText(`${lib}/jvm.cfg`);
  if (cfg === undefined) {
    out.warnings.push(`${ctx.real} links libjli.so but ${lib}/jvm.cfg is not in ${root.description}: the runtime looks incomplete`);
    return out;
  }
  const vm = defaultVm(cfg);
  const reason = (what: string) => `${what} of the Java runtime in ${home} (the launcher finds it from its own path)`;
  out.dlopen.push({ path: `${lib}/${vm}/libjvm.so`, reason: reason(`the ${vm} VM (lib/jvm.cfg's default)`) });
  for (const name of root.readdir(`${lib}/${vm}`)) {
    if (name !== 'libjvm.so' && root.lstat(`${lib}/${vm}/${name}`)?.type === 'file')
      out.files.push({ path: `${lib}/${vm}/${name}`, reason: reason('VM data (the class data sharing archive)') });
  }
  let left = 0;
  for (const name of root.readdir(lib)) {
    const p = `${lib}/${name}`;
    const kind = root.lookup(p)?.entry.type;
    if (TOOLS_ONLY.has(name)) continue;
    if (kind === 'dir') {
      if (name === 'security' || name === 'jfr') out.trees.push({ path: p, reason: reason(`lib/${name}`) });
    } else if (kind === 'file' && name.endsWith('.so')) {
      if (DESKTOP.has(name)) left++;
      else out.dlopen.push({ path: p, reason: reason('a module the class library loads') });
    } else if (kind === 'file') {
      // jspawnhelper runs every child process; the rest is data (modules, tzdb.dat, jvm.cfg, classlist).
      out.files.push({ path: p, reason: reason(name === 'jspawnhelper' ? 'the helper that starts child processes' : `lib/${name}`) });
      if (name === 'jspawnhelper') out.dlopen.push({ path: p, reason: reason('the helper that starts child processes'), ifElf: true });
    }
  }
  if (root.isDir(`${home}/conf`)) out.trees.push({ path: `${home}/conf`, reason: reason('conf/') });
  for (const dir of [`${home}/conf`, `${lib}/security`]) {
    if (!root.isDir(dir)) continue;
    for (const target of linkTargets(root, dir))
      out.files.push({ path: target, reason: reason(`what ${dir.slice(home.length + 1)} links to`) });
  }
  out.notes.push(
    `${ctx.program} is a Java launcher: the ${vm} VM, ${out.dlopen.length - 1} class library modules and the runtime's data in ${home} are added${left ? ` (${left} desktop modules left out)` : ''}`,
  );
  return out;
}
