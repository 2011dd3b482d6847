import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ScratchifyError } from '../../src/errors.js';
import { flattenLayers, type LayerBlob } from '../../src/image/apply.js';
import { TarStream } from '../../src/rootfs/tar-stream.js';
import { type TarEntry, writeTar } from '../../src/rootfs/tar-write.js';

const dir = (path: string, mode = 0o755): TarEntry => ({ type: 'dir', path, mode, uid: 0, gid: 0 });
const file = (path: string, text: string, mode = 0o644): TarEntry => ({
  type: 'file',
  path,
  mode,
  uid: 0,
  gid: 0,
  content: Buffer.from(text),
});
const layer = (entries: TarEntry[], gzip = false): LayerBlob => {
  const tar = writeTar(entries);
  return { digest: `sha256:${entries.length}`, bytes: () => (gzip ? gzipSync(tar) : tar) };
};

/** The flattened image as path -> what is there (a file's text, `dir 755`, `-> target`). */
function flat(layers: LayerBlob[]): Record<string, string> {
  const out: Record<string, string> = {};
  let at = '';
  let text = '';
  const s = new TarStream({
    member(path, m) {
      at = path;
      text = '';
      out[path] = m.type === 'dir' ? `dir ${m.mode.toString(8)}` : m.type === 'symlink' ? `-> ${m.link}` : '';
    },
    data(c) {
      text += c.toString();
    },
    end() {
      out[at] = text;
    },
  });
  flattenLayers(layers, 'test', (c) => s.push(c));
  s.finish();
  return out;
}

describe('layers applied as the engines apply them', () => {
  it('upper entries replace lower ones; .wh.NAME deletes a file or a whole tree; an opaque directory hides everything below it; gzip read', () => {
    const lower = layer([
      dir('/etc'),
      file('/etc/a', 'a1'),
      file('/etc/b', 'b1'),
      dir('/srv'),
      dir('/srv/data'),
      file('/srv/data/x', 'x1'),
      dir('/opt'),
      file('/opt/old', 'o'),
      dir('/var'),
      file('/var/keep', 'k'),
    ]);
    const upper = layer(
      [
        dir('/etc', 0o750),
        file('/etc/a', 'a2'),
        file('/etc/.wh.b', ''),
        file('/.wh.srv', ''),
        dir('/opt'),
        file('/opt/.wh..wh..opq', ''),
        file('/opt/new', 'n'),
        { type: 'symlink', path: '/var/link', target: 'keep' },
      ],
      true,
    );
    expect(flat([lower, upper])).toEqual({
      '/etc': 'dir 750',
      '/etc/a': 'a2',
      '/opt': 'dir 755',
      '/opt/new': 'n',
      '/var': 'dir 755',
      '/var/keep': 'k',
      '/var/link': '-> keep',
    });
  });

  it("a file over a directory hides the directory's contents; a directory over a file is a directory", () => {
    const lower = layer([dir('/a'), file('/a/inside', 'i'), file('/b', 'file')]);
    const upper = layer([file('/a', 'now a file'), dir('/b'), file('/b/c', 'c')]);
    expect(flat([lower, upper])).toEqual({ '/a': 'now a file', '/b': 'dir 755', '/b/c': 'c' });
  });

  it("a whiteout applies to the layers below only, wherever it sits in its layer's tar", () => {
    const lower = layer([dir('/d'), file('/d/f', 'old')]);
    const upper = layer([dir('/d'), file('/d/f', 'new'), file('/d/.wh.f', '')]);
    expect(flat([lower, upper])['/d/f']).toBe('new');
  });

  it('a hard link is read as a copy of the file it links to in its layer (GNU tar writes them)', () => {
    const d = mkdtempSync(join(tmpdir(), 'scratchify-hardlink-'));
    mkdirSync(join(d, 'usr/bin'), { recursive: true });
    writeFileSync(join(d, 'usr/bin/one'), 'same bytes');
    linkSync(join(d, 'usr/bin/one'), join(d, 'usr/bin/two'));
    const tar = execFileSync('tar', ['-C', d, '-cf', '-', 'usr']);
    expect(tar.toString('latin1')).toContain('usr/bin/one'); // the link's member names its target
    const out = flat([{ digest: 'sha256:h', bytes: () => tar }]);
    expect(out['/usr/bin/one']).toBe('same bytes');
    expect(out['/usr/bin/two']).toBe('same bytes');
    expect(readFileSync(join(d, 'usr/bin/two'), 'utf8')).toBe('same bytes');
  });

  it('a zstd layer: a one-line error naming the layer and the conversion that works', () => {
    const zstd = { digest: 'sha256:z', bytes: () => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]) };
    expect(() => flat([zstd])).toThrow(ScratchifyError);
    expect(() => flat([zstd])).toThrow(/layer sha256:z is zstd-compressed/);
  });

  it('a member that leads outside the root (../): refused in one line naming the layer', () => {
    const hostile = layer([dir('/etc'), file('/../../etc/cron.d/x', 'owned')]);
    expect(() => flat([hostile])).toThrow(ScratchifyError);
    expect(() => flat([hostile])).toThrow(/--base test: layer 1 has a member \.\.\/\.\.\/etc\/cron\.d\/x that leads outside the root/);
  });
});
