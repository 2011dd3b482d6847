import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, type GenerateInput } from '../../src/generate/generate.js';
import { goInfo } from '../../src/profiles/go.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import { FIXTURES } from '../helpers/paths.js';

const root = new Root(new DirBackend('/'));

function gen(program: string, extra: Partial<GenerateInput> = {}) {
  return generate({
    root,
    program,
    args: [],
    includes: [],
    expose: [],
    source: 'test',
    command: 'scratchify',
    dockerfileName: 'Dockerfile',
    scaffoldName: 'Dockerfile.scaffold.tar',
    ...extra,
  });
}

const reasonsOf = (r: ReturnType<typeof gen>, suffix: string) =>
  [...r.plan.files.values(), ...r.plan.trees.values()].find((f) => f.path.endsWith(suffix))?.reasons.join('; ');

describe("glibc's run-time loads, from what the program imports", () => {
  const prog = join(FIXTURES, 'runtime/prog');

  it('pthread_exit brings libgcc_s.so.1, iconv_open the gconv modules, getpwnam the NSS configuration', () => {
    const r = gen(prog);
    expect(reasonsOf(r, '/libgcc_s.so.1')).toMatch(/libc dlopens it to unwind: .*runtime\/prog calls pthread_exit/);
    expect(reasonsOf(r, '/gconv')).toMatch(/gconv modules: .*runtime\/prog calls iconv_open/);
    expect(reasonsOf(r, '/etc/nsswitch.conf')).toMatch(/glibc looks users and hosts up/);
  });

  it('--no-gconv leaves gconv out; a plain program gets none of them', () => {
    expect(reasonsOf(gen(prog, { runtime: { gconv: false } }), '/gconv')).toBeUndefined();
    const hello = gen(join(FIXTURES, 'hello/hello'));
    expect(reasonsOf(hello, '/libgcc_s.so.1')).toBeUndefined();
    expect(reasonsOf(hello, '/gconv')).toBeUndefined();
  });

  it('NSS services beyond files and dns are resolved as modules or reported', () => {
    const r = gen(prog);
    const text = root.readText('/etc/nsswitch.conf') ?? '';
    if (/^passwd:.*\bsystemd\b/m.test(text)) {
      const found = reasonsOf(r, '/libnss_systemd.so.2');
      if (found) expect(found).toMatch(/NSS module for "passwd: systemd"/);
      else expect(r.warnings.join('\n')).toMatch(/libnss_systemd\.so\.2 is not in/);
    }
    expect(reasonsOf(r, '/libnss_files.so.2')).toBeUndefined(); // built into glibc 2.34 and later
  });

  it('--tz ZONE copies the zone and links /etc/localtime', () => {
    const r = gen(join(FIXTURES, 'hello/hello'), { runtime: { tz: 'Europe/Paris' } });
    expect(reasonsOf(r, '/Europe/Paris')).toBe('--tz Europe/Paris');
    expect(r.plan.links.get('/etc/localtime')).toBe('/usr/share/zoneinfo/Europe/Paris');
  });
});

describe('Go binaries, recognised from their build info', () => {
  it('static: the binary alone, with the CA bundle crypto/x509 reads', () => {
    const bin = join(FIXTURES, 'go/static');
    const info = goInfo(root, bin)!;
    expect(info.version).toMatch(/^go1\.\d+/);
    expect(info.path).toBe('example.com/hello');
    expect(info.cgo).toBe(false);
    expect(info.x509).toBe(true);
    const r = gen(bin);
    expect(r.maps[0].libc).toBe('static');
    expect(r.maps[0].objects).toHaveLength(1);
    expect(r.notes.join()).toMatch(/is a Go program \(go1\.\d+.*example\.com\/hello\), statically linked/);
    // scripts/setup-machine.sh installs ca-certificates and tzdata, which these tests read from this machine.
    expect(existsSync('/etc/ssl/certs/ca-certificates.crt')).toBe(true);
    expect(reasonsOf(r, '/ca-certificates.crt')).toMatch(/Go's crypto\/x509/);
    expect(r.dockerfile).toContain('USER 65532:65532');
  });

  it('cgo: the libc set and nsswitch', () => {
    const bin = join(FIXTURES, 'go/cgo');
    expect(goInfo(root, bin)?.cgo).toBe(true);
    const r = gen(bin);
    expect(r.maps[0].libc).toBe('glibc');
    expect(reasonsOf(r, '/libc.so.6')).toBeDefined();
    expect(reasonsOf(r, '/etc/nsswitch.conf')).toBeDefined();
  });

  it('a C program is not mistaken for Go', () => {
    expect(goInfo(root, join(FIXTURES, 'hello/hello'))).toBeUndefined();
  });
});
