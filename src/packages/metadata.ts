import type { Plan } from '../generate/plan.js';
import { walkFiles } from '../rootfs/include.js';
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

/** Every regular file of the base the plan copies: single files, files inside copied trees, carried files. */
export function copiedFiles(plan: Plan, root: Root): string[] {
  const out = [...plan.files.keys()];
  for (const t of plan.trees.keys()) walkFiles(root, t, out);
  for (const [p, g] of plan.generated) if (g.fromBase) out.push(p);
  return out.sort();
}

/** Groups files by owning package. */
function owners(db: DpkgDatabase, files: string[]): PackageReport {
  const byPkg = new Map<string, { pkg: DpkgPackage; files: string[] }>();
  const unowned: string[] = [];
  for (const f of files) {
    const pkg = db.ownerOf(f);
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
 * Before the plan is finished: the OS markers, and the copyright file of each package that owns a file
 * the plan copies (those files belong to their packages in turn).
 */
export function addPackageMarkers(plan: Plan, root: Root, db: DpkgDatabase, opts: PackageOptions): void {
  for (const m of OS_MARKERS) if (root.exists(m)) plan.add(m, 'names the distribution to vulnerability scanners');
  if (!opts.copyright) return;
  for (const { pkg } of owners(db, copiedFiles(plan, root)).packages) {
    const c = `/usr/share/doc/${pkg.name}/copyright`;
    // Carried in the scaffold: each sits in a directory of its own and would cost a COPY layer. A copyright
    // file is text of a few KB; one over the bound is left out rather than carried.
    const e = root.lookup(c)?.entry;
    if (e?.type === 'file' && e.size <= MAX_COPYRIGHT_BYTES) plan.carry(c, `license of ${pkg.name}, for scanners`);
  }
}

/**
 * After the plan is finished: for every package that owns a copied file, the distroless layout scanners read
 * (Trivy, Syft, Grype, Snyk): status.d/<pkg> holds its paragraph of dpkg's status file and status.d/<pkg>.md5sums
 * dpkg's own md5sums lines for the files copied. Nothing else of dpkg.
 */
export function writePackageMetadata(plan: Plan, root: Root, db: DpkgDatabase): PackageReport {
  const report = owners(db, copiedFiles(plan, root));
  // One file per package name; two architectures of one name keep their architecture in the file name.
  const names = new Map<string, number>();
  for (const { pkg } of report.packages) names.set(pkg.name, (names.get(pkg.name) ?? 0) + 1);
  for (const { pkg, files } of report.packages) {
    const file = names.get(pkg.name)! > 1 ? `${pkg.name}:${pkg.arch}` : pkg.name;
    plan.generate(`${STATUS_D}/${file}`, pkg.paragraph, `dpkg status of ${pkg.name} ${pkg.version}, for scanners`);
    const sums = files.map((f) => db.md5sumLine(f)).filter((l): l is string => l !== undefined);
    if (sums.length)
      plan.generate(
        `${STATUS_D}/${file}.md5sums`,
        sums.map((l) => `${l}\n`).join(''),
        `md5sums of the files of ${pkg.name} copied, for scanners`,
      );
    for (const f of files) plan.packageOf.set(f, pkg.name);
  }
  return report;
}
