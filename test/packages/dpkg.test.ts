import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStatus, readDpkg } from '../../src/packages/dpkg.js';
import { debianLicenses, debPurl, osOf } from '../../src/packages/sbom.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u4
Description: GNU C Library

Package: libssl3
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u2

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Version: 1.0
Description: a paragraph with no Package field

Package: dash
Status: install ok installed
Architecture: amd64
Version: 0.5.12-2
`;

/** A merged-/usr root: /lib is a link to usr/lib, as on Debian 12. */
function dpkgRoot(files: Record<string, string>): Root {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-dpkg-'));
  mkdirSync(join(d, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
  symlinkSync('usr/lib', join(d, 'lib'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(d, p)), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return new Root(new DirBackend(d));
}

const INFO = 'var/lib/dpkg/info';
const base = {
  'var/lib/dpkg/status': STATUS,
  // libc6 lists its library under /lib (as built), libssl3 under /usr/lib: both are one directory here.
  [`${INFO}/libc6:amd64.list`]: '/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n',
  [`${INFO}/libc6:amd64.md5sums`]: `${'a'.repeat(32)}  lib/x86_64-linux-gnu/libc.so.6\nnot an md5 line\n`,
  [`${INFO}/libssl3.list`]: '/usr/lib/x86_64-linux-gnu/libssl.so.3\n',
  [`${INFO}/libssl3.md5sums`]: `${'b'.repeat(32)}  usr/lib/x86_64-linux-gnu/libssl.so.3\n`,
  // dash diverts /bin/sh-like files: here it diverts libssl3's file away and ships its own in its place.
  [`${INFO}/dash.list`]: '/usr/lib/x86_64-linux-gnu/libssl.so.3\n',
  'var/lib/dpkg/diversions': '/usr/lib/x86_64-linux-gnu/libssl.so.3\n/usr/lib/x86_64-linux-gnu/libssl.so.3.distrib\ndash\n',
  'usr/lib/x86_64-linux-gnu/libc.so.6': 'libc',
  'usr/lib/x86_64-linux-gnu/libssl.so.3': 'dash version',
  'usr/lib/x86_64-linux-gnu/libssl.so.3.distrib': 'libssl3 version',
  'usr/lib/x86_64-linux-gnu/libmine.so': 'no package',
};

describe('dpkg database of a base', () => {
  it('installed packages with their paragraph; others left out; a malformed paragraph skipped with a warning', () => {
    const warnings: string[] = [];
    const pkgs = parseStatus(STATUS, warnings);
    expect(pkgs.map((p) => `${p.name} ${p.version} ${p.arch}`)).toEqual([
      'libc6 2.36-9+deb12u4 amd64',
      'libssl3 3.0.11-1~deb12u2 amd64',
      'dash 0.5.12-2 amd64',
    ]);
    expect(pkgs[0].paragraph).toBe(STATUS.slice(0, STATUS.indexOf('\n\n') + 1));
    expect(warnings).toEqual(['/var/lib/dpkg/status: the paragraph at line 18 is malformed (no valid Package or Version); skipped']);
  });

  it('owners by real path: merged-/usr aliases, Multi-Arch list names, diversions; md5sums lines verbatim', () => {
    const db = readDpkg(dpkgRoot(base))!;
    expect(db.ownerOf('/usr/lib/x86_64-linux-gnu/libc.so.6')?.infoName).toBe('libc6:amd64');
    expect(db.md5sumLine('/usr/lib/x86_64-linux-gnu/libc.so.6')).toBe(`${'a'.repeat(32)}  lib/x86_64-linux-gnu/libc.so.6`);
    // The diverting package owns the name; the diverted package's file lives on under the new name.
    expect(db.ownerOf('/usr/lib/x86_64-linux-gnu/libssl.so.3')?.name).toBe('dash');
    expect(db.ownerOf('/usr/lib/x86_64-linux-gnu/libssl.so.3.distrib')?.name).toBe('libssl3');
    expect(db.md5sumLine('/usr/lib/x86_64-linux-gnu/libssl.so.3.distrib')).toBe(`${'b'.repeat(32)}  usr/lib/x86_64-linux-gnu/libssl.so.3`);
    expect(db.ownerOf('/usr/lib/x86_64-linux-gnu/libmine.so')).toBeUndefined();
    expect(db.warnings).toEqual([
      '/var/lib/dpkg/status: the paragraph at line 18 is malformed (no valid Package or Version); skipped',
      '/var/lib/dpkg/info/libc6:amd64.md5sums: a malformed line ("not an md5 line"); left out',
    ]);
  });

  it("kept with an image's cache: read once, the same answers from what was kept, a damaged copy read again", () => {
    const d = mkdtempSync(join(tmpdir(), 'scratchify-dpkg-kept-'));
    const root = dpkgRoot(base);
    const dir = (root.backend as unknown as { dir: string }).dir;
    // A backend that keeps derived data as the image cache does: JSON in a file, checked when read back.
    let made = 0;
    const kept = join(d, 'kept.json');
    const backend = Object.create(root.backend, {
      cache: {
        value: {
          derived: <T>(_name: string, make: () => T, valid: (x: unknown) => x is T): T => {
            try {
              const x = JSON.parse(readFileSync(kept, 'utf8')) as unknown;
              if (valid(x)) return x;
            } catch {}
            made++;
            const v = make();
            writeFileSync(kept, JSON.stringify(v));
            return v;
          },
        },
      },
    });
    const answers = (db: ReturnType<typeof readDpkg>) =>
      [
        '/usr/lib/x86_64-linux-gnu/libc.so.6',
        '/usr/lib/x86_64-linux-gnu/libssl.so.3',
        '/usr/lib/x86_64-linux-gnu/libssl.so.3.distrib',
        '/lib',
      ].map((p) => [db!.ownerOf(p)?.infoName, db!.listedBy(p)?.infoName, db!.md5sumLine(p)]);
    const fresh = answers(readDpkg(root));
    expect(answers(readDpkg(new Root(backend)))).toEqual(fresh);
    // The lists are gone: what was kept still answers.
    for (const f of ['libc6:amd64.list', 'libssl3.list', 'dash.list']) rmSync(join(dir, INFO, f));
    expect(answers(readDpkg(new Root(backend)))).toEqual(fresh);
    expect(made).toBe(1);
    writeFileSync(kept, JSON.stringify({ packages: [], owned: ['/x'], owner: [3], diverted: [], warnings: [] }));
    expect(readDpkg(new Root(backend))!.ownerOf('/usr/lib/x86_64-linux-gnu/libc.so.6')).toBeUndefined();
    expect(made).toBe(2);
  });

  it('no status file: no database', () => {
    expect(readDpkg(dpkgRoot({ 'etc/passwd': 'root:x:0:0::/:/bin/sh\n' }))).toBeUndefined();
  });

  it('purls as Trivy writes them, epoch as a qualifier; license names from a machine-readable copyright file', () => {
    const os = { id: 'debian', versionId: '12' };
    expect(debPurl(os, 'libc6', '2.36-9+deb12u4', 'amd64')).toBe('pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12');
    expect(debPurl(os, 'libfoo', '1:2.0~rc1-3', 'amd64')).toBe('pkg:deb/debian/libfoo@2.0~rc1-3?arch=amd64&distro=debian-12&epoch=1');
    expect(
      debianLicenses(
        'Format: https://example/dep5\n\nFiles: *\nLicense: GPL-2+\n\nFiles: x\nLicense: BSD-3-clause\n\nLicense: GPL-2+\n text\n',
      ),
    ).toEqual(['BSD-3-clause', 'GPL-2+']);
    expect(osOf(dpkgRoot({ 'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' }))).toEqual(os);
  });
});
