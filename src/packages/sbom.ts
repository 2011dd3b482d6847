import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Root } from '../rootfs/root.js';
import type { PackageReport } from './metadata.js';

/** What the SBOM describes: the scratch image as generated, and the base its files come from. */
export interface SbomInput {
  root: Root;
  report: PackageReport;
  /** The program the image runs, which names the image. */
  program: string;
  /** The base image reference (pinned where it has a digest), or a description of the root. */
  base: string;
  /** Seconds since the epoch for the creation time; SOURCE_DATE_EPOCH when set, so output is reproducible. */
  epoch: number;
  tool: string;
}

interface Os {
  id: string;
  versionId: string;
}

/** ID and VERSION_ID of the base's os-release; Debian's debian_version as a fallback. */
export function osOf(root: Root): Os | undefined {
  const text = root.readText('/etc/os-release', 64 << 10) ?? root.readText('/usr/lib/os-release', 64 << 10);
  const field = (k: string) => (text ? new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] : undefined);
  const id = field('ID');
  const versionId = field('VERSION_ID') ?? root.readText('/etc/debian_version', 256)?.trim().split('.')[0];
  return id && versionId ? { id, versionId } : undefined;
}

/** purl of a Debian package, in the form Trivy and Syft write: epoch as a qualifier, `+` and `~` encoded. */
export function debPurl(os: Os, name: string, version: string, arch: string): string {
  const m = /^(\d+):(.*)$/.exec(version);
  const upstream = m ? m[2] : version;
  const q = [`arch=${encodeURIComponent(arch)}`, `distro=${encodeURIComponent(`${os.id}-${os.versionId}`)}`];
  if (m) q.push(`epoch=${m[1]}`);
  return `pkg:deb/${encodeURIComponent(os.id)}/${encodeURIComponent(name)}@${encodeURIComponent(upstream)}?${q.join('&')}`;
}

/** License names of a machine-readable Debian copyright file (its `License:` fields), as written. */
export function debianLicenses(text: string | undefined): string[] {
  if (!text) return [];
  const out = new Set<string>();
  for (const m of text.matchAll(/^License: *([^\n]+)$/gm)) {
    const name = m[1].trim();
    if (name && name.length <= 100) out.add(name);
  }
  return [...out].sort();
}

interface FileDigest {
  path: string;
  sha1: string;
  sha256: string;
}

function hashed(root: Root, paths: string[]): FileDigest[] {
  root.prepareDigests(paths);
  return paths.flatMap((path) => {
    const d = root.digests(path, ['sha1', 'sha256']);
    return d ? [{ path, sha1: d[0], sha256: d[1] }] : [];
  });
}

interface Gathered {
  os?: Os;
  packages: { name: string; version: string; arch: string; purl?: string; licenses: string[]; files: FileDigest[] }[];
  unowned: FileDigest[];
  /** A name for the document that changes with its content: the same input gives the same bytes. */
  contentId: string;
}

function gather(input: SbomInput): Gathered {
  const { root, report } = input;
  const os = osOf(root);
  const packages = report.packages.map(({ pkg, files }) => ({
    name: pkg.name,
    version: pkg.version,
    arch: pkg.arch,
    purl: os ? debPurl(os, pkg.name, pkg.version, pkg.arch) : undefined,
    licenses: debianLicenses(root.readText(`/usr/share/doc/${pkg.name}/copyright`, 4 << 20)),
    files: hashed(root, files),
  }));
  const unowned = hashed(root, report.unowned);
  const id = createHash('sha256');
  id.update(`${input.base}\0${input.program}\0`);
  for (const p of packages) for (const f of p.files) id.update(`${p.name}\0${p.version}\0${f.path}\0${f.sha256}\n`);
  for (const f of unowned) id.update(`\0${f.path}\0${f.sha256}\n`);
  return { os, packages, unowned, contentId: id.digest('hex') };
}

/** An RFC 4122 version 5-shaped UUID from a hex digest, so the serial number is reproducible. */
function uuidOf(hex: string): string {
  const h = hex.slice(0, 32).split('');
  h[12] = '5';
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const imageName = (program: string) => `scratch image of ${program}`;

/** CycloneDX 1.6 JSON: the image, an operating-system component, each package with its copied files, and files of no package. */
export function cycloneDx(input: SbomInput): string {
  // Loaded here, not at start-up: only --sbom needs it.
  const { Enums, Models, Serialize, Spec } = createRequire(import.meta.url)(
    '@cyclonedx/cyclonedx-library',
  ) as typeof import('@cyclonedx/cyclonedx-library');
  const g = gather(input);
  const { Component, HashDictionary, NamedLicense, Property } = Models;
  const T = Enums.ComponentType;
  const sha = (f: FileDigest) => new HashDictionary([[Enums.HashAlgorithm['SHA-256'], f.sha256]]);
  const fileComponent = (f: FileDigest) => new Component(T.File, f.path, { hashes: sha(f), bomRef: `file:${f.path}` });

  const bom = new Models.Bom({ serialNumber: `urn:uuid:${uuidOf(g.contentId)}` });
  bom.metadata.timestamp = new Date(input.epoch * 1000);
  bom.metadata.tools.components.add(new Component(T.Application, 'scratchify', { version: input.tool }));
  bom.metadata.component = new Component(T.Container, imageName(input.program), {
    bomRef: 'image',
    properties: new Models.PropertyRepository([new Property('scratchify:base', input.base)]),
  });
  if (g.os) bom.components.add(new Component(T.OperatingSystem, g.os.id, { version: g.os.versionId, bomRef: `os:${g.os.id}` }));
  for (const p of g.packages) {
    bom.components.add(
      new Component(T.Library, p.name, {
        version: p.version,
        purl: p.purl,
        bomRef: p.purl ?? `deb:${p.name}`,
        licenses: new Models.LicenseRepository(p.licenses.map((l) => new NamedLicense(l))),
        properties: new Models.PropertyRepository([new Property('scratchify:package:arch', p.arch)]),
        components: new Models.ComponentRepository(p.files.map(fileComponent)),
      }),
    );
  }
  for (const f of g.unowned) bom.components.add(fileComponent(f));
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

/**
 * SPDX 2.3 JSON: the image as the described package, the operating system (an SPDXID starting
 * SPDXRef-OperatingSystem, as scanners expect), each package with its purl and the files of it copied (SHA1,
 * which SPDX 2.3 requires of a file, and SHA256), and the files of no package.
 */
export function spdx(input: SbomInput): string {
  const g = gather(input);
  const id = (kind: string, n: number) => `SPDXRef-${kind}-${n}`;
  const packages: Record<string, unknown>[] = [];
  const files: Record<string, unknown>[] = [];
  const relationships: Record<string, unknown>[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
  ];
  const noAssertion = {
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
  };
  packages.push({
    SPDXID: 'SPDXRef-Image',
    name: imageName(input.program),
    primaryPackagePurpose: 'CONTAINER',
    comment: `files from ${input.base}`,
    ...noAssertion,
  });
  if (g.os) {
    packages.push({
      SPDXID: `SPDXRef-OperatingSystem-${g.os.id.replace(/[^A-Za-z0-9.-]/g, '-')}`,
      name: g.os.id,
      versionInfo: g.os.versionId,
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      ...noAssertion,
    });
  }
  const fileEntry = (f: FileDigest) => {
    const SPDXID = id('File', files.length);
    files.push({
      SPDXID,
      fileName: `.${f.path}`,
      checksums: [
        { algorithm: 'SHA1', checksumValue: f.sha1 },
        { algorithm: 'SHA256', checksumValue: f.sha256 },
      ],
      licenseConcluded: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
    });
    return SPDXID;
  };
  g.packages.forEach((p, n) => {
    const SPDXID = id('Package', n);
    packages.push({
      SPDXID,
      name: p.name,
      versionInfo: p.version,
      primaryPackagePurpose: 'LIBRARY',
      ...noAssertion,
      ...(p.licenses.length ? { comment: `licenses named in its Debian copyright file: ${p.licenses.join(', ')}` } : {}),
      ...(p.purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }] } : {}),
    });
    relationships.push({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: SPDXID });
    for (const f of p.files) relationships.push({ spdxElementId: SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: fileEntry(f) });
  });
  for (const f of g.unowned)
    relationships.push({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: fileEntry(f) });
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: imageName(input.program),
    documentNamespace: `https://scratchify.invalid/spdx/${g.contentId}`,
    creationInfo: {
      created: new Date(input.epoch * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      creators: [`Tool: scratchify-${input.tool}`],
    },
    packages,
    files,
    relationships,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
