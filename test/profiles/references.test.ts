import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDpkg } from '../../src/packages/dpkg.js';
import { pathStrings } from '../../src/profiles/path-strings.js';
import { compiledReferences } from '../../src/profiles/references.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { buildElf } from '../helpers/elf-builder.js';

/** A root with dpkg data: the files of each package, and its Depends. */
function rootWith(packages: Record<string, { depends?: string; files: Record<string, string | Buffer> }>) {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-refs-'));
  let status = '';
  mkdirSync(join(d, 'var/lib/dpkg/info'), { recursive: true });
  for (const [name, p] of Object.entries(packages)) {
    status += `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n${p.depends ? `Depends: ${p.depends}\n` : ''}\n`;
    writeFileSync(join(d, `var/lib/dpkg/info/${name}.list`), `${Object.keys(p.files).join('\n')}\n`);
    for (const [path, content] of Object.entries(p.files)) {
      mkdirSync(dirname(join(d, path)), { recursive: true });
      writeFileSync(join(d, path), content);
    }
  }
  writeFileSync(join(d, 'var/lib/dpkg/status'), status);
  return openDirRoot(d);
}

const elf = (strings: string[]) => buildElf({ type: 2, strings });

describe('compiled-in references', () => {
  it('finds absolute paths among the C strings of the read-only data, not parts of other words or format strings', () => {
    const root = rootWith({
      app: { files: { '/usr/bin/app': elf(['/etc/app.conf', 'x/usr/lib/not', '%s/fmt', '/usr/share/app/', 'plain']) } },
    });
    const found = pathStrings(root, '/usr/bin/app', root.readElf('/usr/bin/app'));
    expect(found).toEqual(expect.arrayContaining(['/etc/app.conf', '/usr/share/app']));
    expect(found).not.toContain('/usr/lib/not');
    expect(found.some((f) => f.includes('%'))).toBe(false);
  });

  it("takes what the program's packages ship: its data files, data directories, a dependency's data; creates its own module directory empty", () => {
    const root = rootWith({
      app: {
        depends: 'tzdata (>= 2020a), libc6',
        files: {
          '/usr/bin/app': elf([
            '/etc/app/app.conf',
            '/usr/share/app',
            '/usr/lib/app/plugins',
            '/usr/share/zoneinfo',
            '/etc/mime.types',
            '/usr/bin/helper-elsewhere',
            '/bin/sh',
            '/etc/shadow',
            '/var/tmp',
            '/usr/lib/x86_64-linux-gnu',
            '/nonexistent/path',
          ]),
          '/etc/app/app.conf': 'x=1\n',
          '/usr/share/app/data.txt': 'data',
          '/usr/lib/app/plugins/p.so': elf([]),
        },
      },
      tzdata: { files: { '/usr/share/zoneinfo/UTC': 'TZif' } },
      'media-types': { files: { '/etc/mime.types': 'text/plain txt\n' } },
      other: { files: { '/usr/bin/helper-elsewhere': elf([]), '/bin/sh': elf([]), '/etc/shadow': 'root:x', '/var/tmp/t': 'x' } },
      libc6: { files: { '/usr/lib/x86_64-linux-gnu/libc.so.6': elf(['/usr/share/zoneinfo', '/etc/app/app.conf']) } },
    });
    const objects = [
      { real: '/usr/bin/app', elf: root.readElf('/usr/bin/app'), program: true },
      { real: '/usr/lib/x86_64-linux-gnu/libc.so.6', elf: root.readElf('/usr/lib/x86_64-linux-gnu/libc.so.6'), program: false },
    ];
    const refs = compiledReferences(root, objects, readDpkg(root), new Set(['/usr/lib/x86_64-linux-gnu']));
    expect(refs.files.map((f) => f.path).sort()).toEqual(['/etc/app/app.conf', '/etc/mime.types']);
    expect(refs.trees.map((t) => t.path).sort()).toEqual(['/usr/share/app', '/usr/share/zoneinfo']);
    expect(refs.dirs.map((d) => d.path)).toEqual(['/usr/lib/app/plugins']);
    expect(refs.reported.join('\n')).toMatch(
      /\/usr\/lib\/app\/plugins holds 1 programs or modules: the directory is created, without them/,
    );
    expect(refs.files[0].reason).toBe("named in app's read-only data");
  });

  it("a library's names count only for its own packages (and the program's): not an unrelated package's files, not its plugin directories", () => {
    const root = rootWith({
      prog: { depends: 'libfoo', files: { '/usr/bin/prog': elf([]), '/usr/lib/ssl/openssl.cnf': '[x]' } },
      libfoo: {
        files: {
          '/usr/lib/x86_64-linux-gnu/libfoo.so.1': elf([
            '/usr/share/foo',
            '/usr/share/unrelated',
            '/usr/lib/ssl',
            '/usr/lib/x86_64-linux-gnu/foo-plugins',
          ]),
          '/usr/share/foo/f.dat': 'f',
          '/usr/lib/x86_64-linux-gnu/foo-plugins/a.so': elf([]),
        },
      },
      unrelated: { files: { '/usr/share/unrelated/u.dat': 'u' } },
    });
    const objects = [
      { real: '/usr/bin/prog', elf: root.readElf('/usr/bin/prog'), program: true },
      { real: '/usr/lib/x86_64-linux-gnu/libfoo.so.1', elf: root.readElf('/usr/lib/x86_64-linux-gnu/libfoo.so.1'), program: false },
    ];
    const refs = compiledReferences(root, objects, readDpkg(root), new Set());
    expect(refs.trees.map((t) => t.path).sort()).toEqual(['/usr/lib/ssl', '/usr/share/foo']);
    expect(refs.dirs).toEqual([]);
    expect(refs.details.join('\n')).toMatch(/foo-plugins, named by libfoo.so.1, holds 1 programs or modules: left out/);
  });
});
