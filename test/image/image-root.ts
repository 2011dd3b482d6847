import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildElf } from '../helpers/elf-builder.js';

const STATUS = (name: string, version: string, depends?: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${depends ? `Depends: ${depends}\n` : ''}Description: ${name}\n`;

/**
 * A small root whose every byte, mode and owner this file decides (no compiler, no host library), so an image
 * written from it has the same digests on any machine: a program needing libc.so.6 and libm.so.6 from libc6 (a
 * package of several libraries), libz.so.1 from zlib1g, and dpkg's records of both.
 */
export function imageRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'scratchify-image-root-'));
  const files: [string, string | Buffer, number][] = [
    ['/lib64/ld-linux-x86-64.so.2', buildElf({ soname: 'ld-linux-x86-64.so.2' }), 0o755],
    ['/lib64/libc.so.6', buildElf({ soname: 'libc.so.6', needed: ['ld-linux-x86-64.so.2'] }), 0o755],
    ['/lib64/libm.so.6', buildElf({ soname: 'libm.so.6', needed: ['libc.so.6'] }), 0o644],
    ['/lib64/libz.so.1.2.13', buildElf({ soname: 'libz.so.1', needed: ['libc.so.6'] }), 0o644],
    [
      '/app/prog',
      buildElf({ type: 2, interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libm.so.6', 'libz.so.1', 'libc.so.6'] }),
      0o755,
    ],
    ['/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 0o644],
    ['/etc/group', 'root:x:0:\napp:x:1000:\n', 0o644],
    ['/usr/share/doc/libc6/copyright', 'libc6 copyright\n', 0o644],
    ['/usr/share/doc/zlib1g/copyright', 'zlib1g copyright\n', 0o644],
    ['/var/lib/dpkg/status', `${STATUS('libc6', '2.36-9')}\n${STATUS('zlib1g', '1:1.2.13', 'libc6 (>= 2.14)')}`, 0o644],
    [
      '/var/lib/dpkg/info/libc6.list',
      '/lib64/ld-linux-x86-64.so.2\n/lib64/libc.so.6\n/lib64/libm.so.6\n/usr/share/doc/libc6/copyright\n',
      0o644,
    ],
    ['/var/lib/dpkg/info/zlib1g.list', '/lib64/libz.so.1\n/lib64/libz.so.1.2.13\n/usr/share/doc/zlib1g/copyright\n', 0o644],
  ];
  for (const [path, data, mode] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
    chmodSync(join(root, path), mode);
  }
  symlinkSync('libz.so.1.2.13', join(root, 'lib64/libz.so.1'));
  for (const d of [
    '/app',
    '/etc',
    '/lib64',
    '/usr',
    '/usr/share',
    '/usr/share/doc',
    '/usr/share/doc/libc6',
    '/usr/share/doc/zlib1g',
    '/var',
    '/var/lib',
    '/var/lib/dpkg',
    '/var/lib/dpkg/info',
  ])
    chmodSync(join(root, d), 0o755);
  // Owners as an image has them, when this process may set them (CI runs as root).
  if (process.getuid?.() === 0) chownRecursive(root);
  return root;
}

function chownRecursive(root: string): void {
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      lchownSync(join(d, e.name), 0, 0);
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  chownSync(root, 0, 0);
  walk(root);
}
