import { describe, expect, it } from 'vitest';
import { dropInitLayer } from '../../src/engine/init-layer.js';
import type { TarIndex, TarMember } from '../../src/rootfs/tar.js';

const file = (size: number, mode: number): TarMember => ({ type: 'file', mode, uid: 0, gid: 0, size, offset: 0 });
const link = (to: string): TarMember => ({ type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, offset: 0, link: to });

describe("Docker's init-layer placeholders in an export", () => {
  it('drops the empty 0755 placeholders and the mtab link, keeps everything else', () => {
    const index: TarIndex = {
      '/.dockerenv': file(0, 0o755),
      '/etc/hosts': file(0, 0o755),
      '/etc/hostname': file(0, 0o755),
      '/etc/resolv.conf': file(0, 0o755),
      '/etc/mtab': link('/proc/mounts'),
      '/etc/passwd': file(0, 0o755),
    };
    expect(dropInitLayer(index).sort()).toEqual(['/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/mtab', '/etc/resolv.conf']);
    expect(Object.keys(index)).toEqual(['/etc/passwd']);
  });

  it("keeps an image's own files of those names: content, another mode, another link", () => {
    const index: TarIndex = {
      '/etc/hosts': file(150, 0o644),
      '/etc/hostname': file(0, 0o644),
      '/etc/resolv.conf': link('/run/systemd/resolve/stub-resolv.conf'),
      '/etc/mtab': link('../proc/self/mounts'),
    };
    expect(dropInitLayer(index)).toEqual([]);
    expect(Object.keys(index)).toHaveLength(4);
  });
});
