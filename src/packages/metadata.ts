import { type Additions, noAdditions } from '../additions.js';
import type { Root } from '../rootfs/root.js';
import type { DpkgDatabase, DpkgPackage } from './dpkg.js';

/** Files scanners read to name the distribution: Trivy reads debian_version and lsb-release, Syft os-release. */
export const OS_MARKERS = ['/etc/os-release', '/usr/lib/os-release', '/etc/debian_version', '/etc/lsb-release'];
const STATUS_D = '/var/lib/dpkg/status.d';
const MAX_COPYRIGHT_BYTES = 1 << 20;

export interface PackageOptions {
  /** Copy /usr/share/doc/<pkg>/copyright of each package, for license detection. */
  copyright: boolean;
}

/** Which package each copied file comes from, for the report and the SBOM. */
export interface PackageReport {
  packages: { pkg: DpkgPackage; files: string[] }[];
  /** Copied files no package owns: generated at install (ld.so.cache, the CA bundle), or the user's own. */
  unowned: string[];
}

/**
 * Groups files by owning package: regular files by the package that owns their content, symbolic links by the
 * package that lists the link itself (openssl's /usr/lib/ssl/cert.pem, a link to the CA bundle no package
 * owns), so a package that owns only a link the image holds still gets its status and copyright.
 */
function owners(db: DpkgDatabase, files: string[], links: string[] = []): PackageReport {
  const byPkg = new Map<string, { pkg: DpkgPackage; files: string[] }>();
  const unowned: string[] = [];
  const linked = new Set(links);
  for (const f of [...files, ...links]) {
    const pkg = linked.has(f) ? db.listedBy(f) : db.ownerOf(f);
    if (!pkg && linked.has(f)) continue;
    if (!pkg) {
      unowned.push(f);
      continue;
    }
    let e = byPkg.get(pkg.infoName);
    if (!e) byPkg.set(pkg.infoName, (e = { pkg, files: [] }));
    e.files.push(f);
  }
  return { packages: [...byPkg.values()].sort((a, b) => (a.pkg.infoName < b.pkg.infoName ? -1 : 1)), unowned };
}

/**
 * Before the plan is finished: the OS markers, and the copyright file of each package that owns one of the `files`
 * the image holds (those files belong to their packages in turn).
 */
export function packageMarkers(files: string[], links: string[], root: Root, db: DpkgDatabase, opts: PackageOptions): Additions {
  const out = noAdditions();
  const markers = OS_MARKERS.filter((m) => root.exists(m));
  for (const m of markers) out.copy.push({ path: m, reason: 'names the distribution to vulnerability scanners' });
  if (!opts.copyright) return out;
  // The markers are copied too: base-files, which owns os-release, gets its copyright like every other owner.
  const marked = markers.map((m) => root.lookup(m)?.path).filter((p): p is string => p !== undefined);
  const markerLinks = markers.filter((m) => root.lstat(m)?.type === 'symlink');
  for (const { pkg } of owners(db, [...new Set([...files, ...marked])], [...new Set([...links, ...markerLinks])]).packages) {
    const c = `/usr/share/doc/${pkg.name}/copyright`;
    // Carried in the scaffold: each sits in a directory of its own and would cost a COPY layer. A copyright
    // file is text of a few KB; one over the bound is left out rather than carried.
    const e = root.lookup(c)?.entry;
    if (e?.type === 'file' && e.size <= MAX_COPYRIGHT_BYTES) out.carried.push({ path: c, reason: `license of ${pkg.name}, for scanners` });
  }
  return out;
}

/**
 * After the plan is finished, from every file the image holds: for each package that owns one, the distroless
 * layout scanners read (Trivy, Syft, Grype, Snyk): status.d/<pkg> holds its paragraph of dpkg's status file and
 * status.d/<pkg>.md5sums dpkg's own md5sums lines for the files copied. Nothing else of dpkg.
 */
export function packageMetadata(
  files: string[],
  links: string[],
  db: DpkgDatabase,
): { adds: Additions; report: PackageReport; packageOf: Map<string, string> } {
  const report = owners(db, files, links);
  const adds = noAdditions();
  const packageOf = new Map<string, string>();
  // One file per package name; two architectures of one name keep their architecture in the file name.
  const names = new Map<string, number>();
  for (const { pkg } of report.packages) names.set(pkg.name, (names.get(pkg.name) ?? 0) + 1);
  for (const { pkg, files: owned } of report.packages) {
    const file = names.get(pkg.name)! > 1 ? `${pkg.name}:${pkg.arch}` : pkg.name;
    adds.generated.push({
      path: `${STATUS_D}/${file}`,
      content: pkg.paragraph,
      reason: `dpkg status of ${pkg.name} ${pkg.version}, for scanners`,
    });
    const sums = owned.map((f) => db.md5sumLine(f)).filter((l): l is string => l !== undefined);
    if (sums.length)
      adds.generated.push({
        path: `${STATUS_D}/${file}.md5sums`,
        content: sums.map((l) => `${l}\n`).join(''),
        reason: `md5sums of the files of ${pkg.name} copied, for scanners`,
      });
    for (const f of owned) packageOf.set(f, pkg.name);
  }
  return { adds, report, packageOf };
}
