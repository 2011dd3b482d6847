import type { Root } from '../rootfs/root.js';

/** Bounds on what is read from a hostile base: the status file, one list or md5sums file, packages. */
const MAX_STATUS_BYTES = 64 << 20;
const MAX_INFO_BYTES = 16 << 20;
const MAX_PACKAGES = 20_000;

const INFO = '/var/lib/dpkg/info';
const MD5_LINE = /^[0-9a-f]{32} {2}[^\n]+$/;

/** One installed package, as dpkg's status file describes it. */
export interface DpkgPackage {
  name: string;
  arch: string;
  version: string;
  /** Its paragraph of /var/lib/dpkg/status, byte for byte, ending in one newline. */
  paragraph: string;
  /** Its file name under info/: `libc6:amd64` for Multi-Arch: same packages, else `libc6`. */
  infoName: string;
}

/** What dpkg knows of a base: installed packages, and which package owns each file, by real path. */
export interface DpkgDatabase {
  packages: Map<string, DpkgPackage>;
  /** Owner of a regular file, by its real path in the root (merged-/usr aliases and diversions resolved). */
  ownerOf(real: string): DpkgPackage | undefined;
  /** The line of the owner's md5sums for that file, exactly as dpkg wrote it (a malformed one is warned of). */
  md5sumLine(real: string): string | undefined;
  /** The owner of a path, a directory included: the package that lists it first, by real path. */
  listedBy(real: string): DpkgPackage | undefined;
  warnings: string[];
}

/** Splits the status file into paragraphs; a paragraph missing Package or Version is skipped with a warning. */
export function parseStatus(text: string, warnings: string[]): Omit<DpkgPackage, 'infoName'>[] {
  const out: Omit<DpkgPackage, 'infoName'>[] = [];
  let line = 1;
  for (const raw of text.split(/\n{2,}/)) {
    const startLine = line;
    line += raw.split('\n').length + 1;
    const para = raw.replace(/^\n+/, '');
    if (!para.trim()) continue;
    const field = (name: string) => new RegExp(`^${name}: *(.*)$`, 'm').exec(para)?.[1].trim();
    const name = field('Package');
    const version = field('Version');
    const status = field('Status');
    if (!name || !version || !/^[a-z0-9][a-z0-9+.-]*$/.test(name) || /\s/.test(version) || !/^[A-Z]/.test(para)) {
      warnings.push(`/var/lib/dpkg/status: the paragraph at line ${startLine} is malformed (no valid Package or Version); skipped`);
      continue;
    }
    if (status !== undefined && !/ installed$/.test(status)) continue;
    out.push({ name, arch: field('Architecture') ?? 'all', version, paragraph: `${para.replace(/\n+$/, '')}\n` });
    if (out.length > MAX_PACKAGES) break;
  }
  return out;
}

/**
 * Reads dpkg's database in the root: /var/lib/dpkg/status, each package's info/<pkg>.list and .md5sums, and
 * /var/lib/dpkg/diversions. A list names files as the package shipped them; the root may hold them elsewhere
 * (merged /usr: libc6 lists /lib/x86_64-linux-gnu/libc.so.6, which is /usr/lib/... once /lib is a link), so
 * every name is taken to its real path, directories through the root's links. Undefined without a status file.
 */
export function readDpkg(root: Root): DpkgDatabase | undefined {
  const status = root.readText('/var/lib/dpkg/status', MAX_STATUS_BYTES);
  if (status === undefined) return undefined;
  const warnings: string[] = [];
  const packages = new Map<string, DpkgPackage>();
  for (const p of parseStatus(status, warnings)) {
    const infoName = root.exists(`${INFO}/${p.name}:${p.arch}.list`) ? `${p.name}:${p.arch}` : p.name;
    packages.set(infoName, { ...p, infoName });
  }

  // Real directories by listed directory; a directory that is its own real path gives back the listed name
  // itself, with no new string: this runs for every line of every list (ten thousand in a small base).
  const realDirs = new Map<string, string | null>();
  const realOf = (path: string): string => {
    const i = path.lastIndexOf('/');
    const dir = path.slice(0, i) || '/';
    let real = realDirs.get(dir);
    if (real === undefined) {
      const r = root.lookup(dir)?.path ?? dir;
      real = r === dir ? null : r;
      realDirs.set(dir, real);
    }
    return real === null ? path : `${real === '/' ? '' : real}/${path.slice(i + 1)}`;
  };

  // Diversions come in threes: the diverted name, where its file went, and the package that diverted it.
  const diverted = new Map<string, { to: string; by: string }>();
  const div = (root.readText('/var/lib/dpkg/diversions', MAX_INFO_BYTES) ?? '').split('\n');
  for (let i = 0; i + 2 < div.length; i += 3) diverted.set(div[i], { to: div[i + 1], by: div[i + 2] });

  const owners = new Map<string, DpkgPackage>();
  const anyDiverted = diverted.size > 0;
  for (const pkg of packages.values()) {
    const list = root.readText(`${INFO}/${pkg.infoName}.list`, MAX_INFO_BYTES);
    if (list === undefined) continue;
    const names = list.split('\n');
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      if (name.charCodeAt(0) !== 0x2f || name === '/.') continue;
      const d = anyDiverted ? diverted.get(name) : undefined;
      const where = d && d.by !== pkg.name ? d.to : name;
      const real = realOf(where);
      if (!owners.has(real)) owners.set(real, pkg);
    }
  }

  // md5sums are read per package, when a file of it is asked for: most packages of a base own nothing copied.
  const md5 = new Map<string, string>();
  const md5Read = new Set<string>();
  const readMd5 = (pkg: DpkgPackage) => {
    md5Read.add(pkg.infoName);
    const sums = root.readText(`${INFO}/${pkg.infoName}.md5sums`, MAX_INFO_BYTES) ?? '';
    for (const line of sums.split('\n')) {
      if (!line) continue;
      if (!MD5_LINE.test(line)) {
        warnings.push(`${INFO}/${pkg.infoName}.md5sums: a malformed line (${JSON.stringify(line.slice(0, 60))}); left out`);
        continue;
      }
      const name = `/${line.slice(34)}`;
      const d = diverted.get(name);
      md5.set(realOf(d && d.by !== pkg.name ? d.to : name), line);
    }
  };
  return {
    packages,
    ownerOf: (real) => {
      const r = root.lookup(real);
      return r?.entry.type === 'file' ? owners.get(r.path) : undefined;
    },
    listedBy: (real) => owners.get(real),
    md5sumLine: (real) => {
      const pkg = owners.get(real);
      if (pkg && !md5Read.has(pkg.infoName)) readMd5(pkg);
      return md5.get(real);
    },
    warnings,
  };
}

/**
 * The names a package depends on (Depends and Pre-Depends, every alternative), without versions or
 * architecture qualifiers: `libc6 (>= 2.34), debconf | debconf-2.0` is libc6, debconf, debconf-2.0.
 */
export function dependsOf(pkg: DpkgPackage): Set<string> {
  const out = new Set<string>();
  for (const field of ['Depends', 'Pre-Depends']) {
    const m = new RegExp(`^${field}: *(.*(?:\n[ \t].*)*)`, 'm').exec(pkg.paragraph);
    if (!m) continue;
    for (const alt of m[1].split(/[,|]/)) {
      const name = alt.trim().split(/[\s(:[]/)[0];
      if (name) out.add(name);
    }
  }
  return out;
}
