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
 * What readDpkg reads of dpkg's database, as plain data: an image's cache keeps it, as the image never changes
 * under its ID (reading every package's list is most of what a warm generate spends on packages). Owned file n is
 * owned[n], by packages[owner[n]]. DPKG_SCAN names the shape: it changes whenever what scanDpkg makes changes.
 */
export interface DpkgScan {
  packages: DpkgPackage[];
  owned: string[];
  owner: number[];
  /** Diversions as dpkg keeps them: the diverted name, where its file went, the package that diverted it. */
  diverted: [string, string, string][];
  warnings: string[];
}
const DPKG_SCAN = 'dpkg-1';

function isDpkgScan(x: unknown): x is DpkgScan | null {
  const s = x as DpkgScan;
  return (
    x === null ||
    (Array.isArray(s?.packages) &&
      Array.isArray(s.owned) &&
      Array.isArray(s.owner) &&
      s.owned.length === s.owner.length &&
      s.owner.every((i) => Number.isInteger(i) && i >= 0 && i < s.packages.length) &&
      Array.isArray(s.diverted) &&
      Array.isArray(s.warnings))
  );
}

/**
 * A name as a package lists it, taken to its real path in the root, directories through the root's links. A
 * directory that is its own real path gives back the listed name itself, with no new string: this runs for every
 * line of every list (ten thousand in a small base).
 */
function realPaths(root: Root): (path: string) => string {
  const realDirs = new Map<string, string | null>();
  return (path) => {
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
}

/**
 * Reads dpkg's database in the root: /var/lib/dpkg/status, each package's info/<pkg>.list and .md5sums, and
 * /var/lib/dpkg/diversions. A list names files as the package shipped them; the root may hold them elsewhere
 * (merged /usr: libc6 lists /lib/x86_64-linux-gnu/libc.so.6, which is /usr/lib/... once /lib is a link), so
 * every name is taken to its real path. Undefined without a status file. An image's cache keeps what it read of
 * the status and the lists (the backend's `derived`); md5sums are read when asked for.
 */
export function readDpkg(root: Root): DpkgDatabase | undefined {
  const make = () => scanDpkg(root) ?? null;
  const scan = root.backend.cache ? root.backend.cache.derived(DPKG_SCAN, make, isDpkgScan) : make();
  return scan ? dpkgDatabase(root, scan) : undefined;
}

function byDivertedName(diverted: DpkgScan['diverted']): Map<string, { to: string; by: string }> {
  return new Map(diverted.map(([name, to, by]) => [name, { to, by }]));
}

function scanDpkg(root: Root): DpkgScan | undefined {
  const status = root.readText('/var/lib/dpkg/status', MAX_STATUS_BYTES);
  if (status === undefined) return undefined;
  const warnings: string[] = [];
  // By info name: a name given twice is the later paragraph, in the place of the first.
  const byInfoName = new Map<string, DpkgPackage>();
  for (const p of parseStatus(status, warnings)) {
    const infoName = root.exists(`${INFO}/${p.name}:${p.arch}.list`) ? `${p.name}:${p.arch}` : p.name;
    byInfoName.set(infoName, { ...p, infoName });
  }
  const packages = [...byInfoName.values()];
  const realOf = realPaths(root);
  const div = (root.readText('/var/lib/dpkg/diversions', MAX_INFO_BYTES) ?? '').split('\n');
  const diverted: DpkgScan['diverted'] = [];
  for (let i = 0; i + 2 < div.length; i += 3) diverted.push([div[i], div[i + 1], div[i + 2]]);
  const divertedBy = byDivertedName(diverted);
  const seen = new Set<string>();
  const owned: string[] = [];
  const owner: number[] = [];
  for (let k = 0; k < packages.length; k++) {
    const pkg = packages[k];
    const list = root.readText(`${INFO}/${pkg.infoName}.list`, MAX_INFO_BYTES);
    if (list === undefined) continue;
    const names = list.split('\n');
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      if (name.charCodeAt(0) !== 0x2f || name === '/.') continue;
      const d = divertedBy.size > 0 ? divertedBy.get(name) : undefined;
      const real = realOf(d && d.by !== pkg.name ? d.to : name);
      if (seen.has(real)) continue;
      seen.add(real);
      owned.push(real);
      owner.push(k);
    }
  }
  return { packages, owned, owner, diverted, warnings };
}

function dpkgDatabase(root: Root, scan: DpkgScan): DpkgDatabase {
  const packages = new Map<string, DpkgPackage>();
  for (const p of scan.packages) packages.set(p.infoName, p);
  const owners = new Map<string, DpkgPackage>();
  for (let n = 0; n < scan.owned.length; n++) owners.set(scan.owned[n], scan.packages[scan.owner[n]]);
  const diverted = byDivertedName(scan.diverted);
  const warnings = [...scan.warnings];
  const realOf = realPaths(root);

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
