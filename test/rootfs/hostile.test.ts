import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScratchifyError } from '../../src/errors.js';
import { generate, type GenerateInput } from '../../src/generate/generate.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { LookupError, MAX_LINKS, Root } from '../../src/rootfs/root.js';
import { Resolver } from '../../src/resolve/resolver.js';
import { buildElf } from '../helpers/elf-builder.js';
import { helloInput, helloRoot } from '../helpers/roots.js';

function gen(root: string, extra: Partial<GenerateInput> = {}) {
  return generate(helloInput(new Root(new DirBackend(root)), extra));
}

describe('hostile roots', () => {
  let dir: string;
  beforeAll(() => {
    dir = helloRoot();
  });

  it('a library dependency cycle terminates, each object loaded once', () => {
    const d = mkdtempSync(join(tmpdir(), 'scratchify-cycle-'));
    mkdirSync(join(d, 'libs'));
    writeFileSync(join(d, 'libs/libA.so'), buildElf({ soname: 'libA.so', needed: ['libB.so'], runpath: '/libs' }));
    writeFileSync(join(d, 'libs/libB.so'), buildElf({ soname: 'libB.so', needed: ['libA.so'], runpath: '/libs' }));
    writeFileSync(join(d, 'prog'), buildElf({ type: 2, needed: ['libA.so'], runpath: '/libs' }));
    const map = new Resolver(new Root(new DirBackend(d))).loadProgram('/prog');
    expect(map.objects.map((o) => o.path)).toEqual(['/prog', '/libs/libA.so', '/libs/libB.so']);
    expect(map.objects[2].deps[0]).toMatchObject({ name: 'libA.so', reused: true });
  });

  it('a very deep tree resolves; a chain of links longer than the kernel allows is ELOOP', () => {
    const d = mkdtempSync(join(tmpdir(), 'scratchify-deep-'));
    const deep = Array.from({ length: 300 }, (_, i) => `d${i}`).join('/');
    mkdirSync(join(d, deep), { recursive: true });
    writeFileSync(join(d, deep, 'f'), 'x');
    const root = new Root(new DirBackend(d));
    expect(root.readText(`/${deep}/f`)).toBe('x');
    for (let i = 0; i <= MAX_LINKS + 1; i++) symlinkSync(i === 0 ? `/${deep}/f` : `l${i - 1}`, join(d, `l${i}`));
    expect(root.readText(`/l${MAX_LINKS - 1}`)).toBe('x');
    expect(() => root.resolve(`/l${MAX_LINKS + 1}`)).toThrow(LookupError);
  });

  it('an --include glob matching 10,000 files: one COPY line for the directory', () => {
    mkdirSync(join(dir, 'data'));
    for (let i = 0; i < 10_000; i++) writeFileSync(join(dir, 'data', `f${i}.dat`), '');
    const r = gen(dir, { includes: ['/data/*.dat'] });
    const lines = r.dockerfile.split('\n').filter((l) => l.includes('/data/'));
    expect(lines.filter((l) => l.startsWith('COPY'))).toHaveLength(1);
    expect(r.plan.files.size).toBeGreaterThanOrEqual(10_000);
  });

  it('odd names: escaped for the shell-word pass in COPY, or carried in the scaffold when a glob character is in them', () => {
    mkdirSync(join(dir, 'odd'));
    const names = ['a b.txt', "q'uote.txt", 'd$ollar.txt', 'back\\slash.txt', 'dq"uote.txt', '[', 'a*?.txt'];
    for (const n of names) writeFileSync(join(dir, 'odd', n), `content of ${n}`);
    const r = gen(dir, { includes: ['/odd/*'] });
    const start = r.dockerfile.indexOf('COPY --from=base ["/odd/');
    const block = r.dockerfile.slice(start, r.dockerfile.indexOf(']\n', start) + 1);
    const words = JSON.parse(block.slice('COPY --from=base '.length).replaceAll('\\\n', '')) as string[];
    // In the Dockerfile's JSON: `\\` is one backslash, which the shell-word pass removes again.
    expect(words).toEqual(['/odd/a b.txt', '/odd/d\\$ollar.txt', '/odd/dq\\"uote.txt', "/odd/q\\'uote.txt", '/odd/']);
    // Buildah globs a matched name again, so these cannot be named exactly by COPY: the scaffold carries them.
    for (const n of ['[', 'a*?.txt', 'back\\slash.txt']) {
      expect(r.plan.generated.get(`/odd/${n}`)?.content.toString()).toBe(`content of ${n}`);
      expect(r.dockerfile).not.toContain(`/odd/${n}`);
    }
  });

  it('a name with a newline is refused with a clear error', () => {
    const d = helloRoot();
    mkdirSync(join(d, 'nl'));
    writeFileSync(join(d, 'nl', 'two\nlines'), 'x');
    try {
      gen(d, { includes: ['/nl/*'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScratchifyError);
      expect((e as ScratchifyError).message).toMatch(/a path with a newline cannot be written in a Dockerfile/);
    }
  });

  it('a name that is not valid UTF-8 is refused with a clear error', () => {
    const d = helloRoot();
    mkdirSync(join(d, 'bad'));
    writeFileSync(Buffer.concat([Buffer.from(`${join(d, 'bad')}/x`), Buffer.from([0xff, 0xfe])]), 'x');
    try {
      gen(d, { includes: ['/bad/*'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScratchifyError);
      expect((e as ScratchifyError).message).toMatch(/not valid UTF-8/);
    }
  });
});
