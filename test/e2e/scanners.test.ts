import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO } from '../helpers/paths.js';
import { type Scan, trivy, unpack } from '../helpers/scan.js';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, imageFiles, nginxBase, servicesBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;
const BUILDER = 'scratchify-examples/builder:bookworm-v2';

/** Files the scaffold writes itself: no package's, and not to be looked up in dpkg. */
const GENERATED = /^\/(etc\/passwd|etc\/group|var\/lib\/dpkg\/status\.d\/.*)$/;

/** Each directory of an image: its mode and numeric owner, as `tar -tv --numeric-owner` of its export shows them. */
async function directories(image: string): Promise<Map<string, string>> {
  const cid = (await execa(DOCKER, ['create', image, '/never-runs'])).stdout.trim();
  try {
    const { stdout } = await execa('sh', ['-c', `"$0" export "$1" | tar -tv --numeric-owner`, DOCKER, cid], { maxBuffer: 256 << 20 });
    const out = new Map<string, string>();
    for (const line of stdout.split('\n')) {
      const m = /^(d\S+)\s+(\d+\/\d+)\s+\d+\s+\S+\s+\S+\s+(.*?)\/?$/.exec(line);
      if (m) out.set(`/${m[3].replace(/^\.\//, '')}`, `${m[1]} ${m[2]}`);
    }
    return out;
  } finally {
    await execa(DOCKER, ['rm', '-f', cid]);
  }
}

/**
 * The packages that own `paths`, asked of dpkg itself inside a container of the base (never on this machine).
 * A merged-/usr file may be listed by its package under /lib, /bin or /sbin: both names are asked.
 */
async function dpkgOwners(base: string, paths: string[]): Promise<string[]> {
  const names = paths.flatMap((p) => (/^\/usr\/(lib|bin|sbin)\//.test(p) ? [p, p.slice(4)] : [p]));
  // Links to directories (merged /usr's /lib) are listed by packages as the directories they shipped: left out.
  const script = `while IFS= read -r p; do [ -d "$p" ] || printf '%s\\n' "$p"; done | xargs -d '\\n' dpkg -S 2>/dev/null | grep -v '^diversion by' | sed 's/: \\/.*//' | tr ',' '\\n' | sed 's/^ *//; s/:.*//' | sort -u | xargs -r dpkg-query -W -f '\${Package} \${Version}\\n'`;
  const r = await execa(DOCKER, ['run', '--rm', '-i', '--network', 'none', '--entrypoint', 'sh', base, '-c', script], {
    input: names.join('\n'),
  });
  return r.stdout.split('\n').filter(Boolean).sort();
}

const PROGRAMS = [
  { name: 'nginx', program: '/usr/sbin/nginx', flags: [] as string[], base: async () => (await nginxBase()).ref },
  { name: 'curl', program: '/usr/bin/curl', flags: [], base: async () => (await servicesBase()).ref },
  {
    name: 'python',
    program: '/usr/bin/python3.11',
    flags: ['--include', '/usr/lib/python3.11'],
    base: async () => (await servicesBase()).ref,
  },
  { name: 'go-cgo', program: '/app/hello-cgo', flags: [], base: async () => BUILDER },
];

describe.runIf(run)('scanners see what the scratch image holds (trivy-cdxgen, offline)', () => {
  const scans = new Map<string, { base: string; scratch: Scan; expected: string[]; sbom: string; baseScan?: Scan }>();
  const listings = new Map<string, Map<string, string>>();

  beforeAll(async () => {
    for (const p of PROGRAMS) {
      const dir = mkdtempSync(join(tmpdir(), `scratchify-scan-${p.name}-`));
      let base = await p.base();
      let genArgs = [p.program, '--base', base, ...p.flags];
      if (p.name === 'go-cgo') {
        // The Go example's own multi-stage Dockerfile; its build stage comes from the Debian builder image.
        await execa('bash', [join(REPO, 'examples/go/build.sh')], { timeout: 900_000 });
        for (const f of ['Dockerfile', 'go.mod', 'main.go']) cpSync(join(REPO, 'examples/go', f), join(dir, f));
        genArgs = [p.program, '--dockerfile', join(dir, 'Dockerfile'), '--target', 'build', '--build-network', 'none'];
        base = BUILDER;
      }
      const out = p.name === 'go-cgo' ? 'Dockerfile.scratch' : 'Dockerfile';
      await execa(BIN, [...genArgs, '-o', join(dir, out), '--sbom', join(dir, 'sbom.cdx.json')], {
        env: { SOURCE_DATE_EPOCH: '1700000000' },
      });
      const tag = `scratchify-test/scan-${p.name}:e2e`;
      await dockerBuild(dir, tag, out);
      const listing = await imageFiles(tag);
      // Regular files and links: a package that owns only a link the image holds is one of its packages too.
      const files = [...listing].filter(([path, mode]) => /^[-l]/.test(mode) && !GENERATED.test(path)).map(([path]) => path);
      listings.set(p.name, listing);
      scans.set(p.name, {
        base,
        scratch: await trivy(await unpack(tag)),
        expected: await dpkgOwners(base, files),
        sbom: readFileSync(join(dir, 'sbom.cdx.json'), 'utf8'),
      });
    }
  }, 1_800_000);

  for (const p of PROGRAMS) {
    it(`${p.name}: Debian 12 and exactly the packages dpkg says own its files, at the base's versions`, () => {
      const s = scans.get(p.name)!;
      expect(s.scratch.os).toMatch(/^debian 12(\.\d+)?$/);
      // At least libc6 and base-files (whose os-release names the distribution).
      expect(s.expected.length).toBeGreaterThanOrEqual(2);
      expect(s.scratch.packages).toEqual(s.expected);
    });

    it(`${p.name}: every directory the image shares with the base has the base's mode and owner`, async () => {
      const [image, base] = await Promise.all([directories(`scratchify-test/scan-${p.name}:e2e`), directories(scans.get(p.name)!.base)]);
      const differ = [...image].filter(
        ([path, mode]) => base.has(path) && base.get(path) !== mode && !/^\/(dev|proc|sys)(\/|$)/.test(path),
      );
      expect(differ.map(([path, mode]) => `${path}: ${mode}, the base's ${base.get(path)}`)).toEqual([]);
      expect(image.size).toBeGreaterThan(10);
    }, 300_000);

    it(`${p.name}: every package that owns a file or link of the image has its status entry and its copyright file`, () => {
      const listing = listings.get(p.name)!;
      const has = (path: string) => listing.has(path);
      for (const name of scans.get(p.name)!.expected.map((e) => e.split(' ')[0])) {
        expect(
          has(`/var/lib/dpkg/status.d/${name}`) || [...listing.keys()].some((k) => k.startsWith(`/var/lib/dpkg/status.d/${name}:`)),
          name,
        ).toBe(true);
        // A doc directory may be a link to its source package's (Debian's --link-doc): that one's file then.
        const doc = `/usr/share/doc/${name}`;
        expect(has(`${doc}/copyright`) || listing.get(doc)?.startsWith('l'), `${doc}/copyright`).toBe(true);
      }
    });

    it(`${p.name}: its CycloneDX SBOM is valid against the 1.6 schema and lists the same packages`, async () => {
      const s = scans.get(p.name)!;
      const cdx = createRequire(import.meta.url)('@cyclonedx/cyclonedx-library') as typeof import('@cyclonedx/cyclonedx-library');
      const errors = await new cdx.Validation.JsonStrictValidator(cdx.Spec.Version.v1dot6).validate(s.sbom);
      expect(errors).toBeNull();
      const bom = JSON.parse(s.sbom) as {
        components: { type: string; name: string; version: string; components?: { hashes: { content: string }[] }[] }[];
      };
      const libs = bom.components.filter((c) => c.type === 'library');
      expect(libs.map((c) => `${c.name} ${c.version}`).sort()).toEqual(s.scratch.packages);
      expect(bom.components.find((c) => c.type === 'operating-system')).toMatchObject({ name: 'debian', version: '12' });
      for (const l of libs) for (const f of l.components ?? []) expect(f.hashes[0].content).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it('the scanner finds every package of the nginx scratch image in the base too, at the same version', async () => {
    const s = scans.get('nginx')!;
    const baseScan = await trivy(await unpack(s.base));
    expect(baseScan.os).toBe(s.scratch.os);
    expect(baseScan.packages.length).toBeGreaterThan(s.scratch.packages.length);
    for (const pkg of s.scratch.packages) expect(baseScan.packages).toContain(pkg);
  });

  it('SPDX 2.3: the described image, an OperatingSystem package, every package with its purl and files, ids that resolve', async () => {
    const base = (await nginxBase()).ref;
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-spdx-'));
    mkdirSync(dir, { recursive: true });
    await execa(BIN, [
      '/usr/sbin/nginx',
      '--base',
      base,
      '-o',
      join(dir, 'Dockerfile'),
      '--sbom',
      join(dir, 'sbom.spdx.json'),
      '--sbom-format',
      'spdx',
    ]);
    const doc = JSON.parse(readFileSync(join(dir, 'sbom.spdx.json'), 'utf8'));
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    expect(doc.documentNamespace).toMatch(/^https:\/\/\S+$/);
    expect(doc.creationInfo.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const ids = new Set([...doc.packages, ...doc.files].map((e: { SPDXID: string }) => e.SPDXID));
    expect(ids.size).toBe(doc.packages.length + doc.files.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    for (const r of doc.relationships) {
      expect(r.spdxElementId === 'SPDXRef-DOCUMENT' || ids.has(r.spdxElementId)).toBe(true);
      expect(ids.has(r.relatedSpdxElement)).toBe(true);
    }
    expect(doc.packages.filter((p: { SPDXID: string }) => p.SPDXID.startsWith('SPDXRef-OperatingSystem'))).toMatchObject([
      { primaryPackagePurpose: 'OPERATING_SYSTEM' },
    ]);
    // SPDX 2.3's purposes, spelled as its JSON schema has them (OPERATING_SYSTEM with an underscore).
    const purposes = [
      'OTHER',
      'INSTALL',
      'ARCHIVE',
      'FIRMWARE',
      'APPLICATION',
      'FRAMEWORK',
      'LIBRARY',
      'CONTAINER',
      'SOURCE',
      'DEVICE',
      'OPERATING_SYSTEM',
      'FILE',
    ];
    for (const p of doc.packages) expect(purposes).toContain(p.primaryPackagePurpose);
    const libs = doc.packages.filter((p: { primaryPackagePurpose: string }) => p.primaryPackagePurpose === 'LIBRARY');
    expect(libs.map((p: { name: string; versionInfo: string }) => `${p.name} ${p.versionInfo}`).sort()).toEqual(
      scans.get('nginx')!.scratch.packages,
    );
    for (const p of libs) expect(p.externalRefs[0].referenceLocator).toMatch(/^pkg:deb\/debian\//);
    for (const f of doc.files) expect(f.checksums.map((c: { algorithm: string }) => c.algorithm)).toEqual(['SHA1', 'SHA256']);
  });

  it('a root without dpkg data: no metadata, a note saying so, and the Dockerfile still written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-nodpkg-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'app'), { recursive: true });
    cpSync(join(REPO, 'test/.fixtures/go/static'), join(root, 'app/static'));
    const r = await execa(BIN, ['/app/static', '--root', root, '-o', join(dir, 'Dockerfile')]);
    expect(r.stderr).toMatch(/has no dpkg status file: no package metadata, scanners will list no packages/);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/^ENTRYPOINT \["\/app\/static"\]$/m);
  });
});
