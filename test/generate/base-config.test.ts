import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BaseConfig, carriedEntry, defaultArgsBeside } from '../../src/generate/base-config.js';
import { generate } from '../../src/generate/generate.js';
import { sizeSummary } from '../../src/generate/summary.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloInput, helloRoot } from '../helpers/roots.js';

const EMPTY: BaseConfig = { env: [], exposedPorts: [], labels: {}, volumes: [] };

function root() {
  const dir = helloRoot();
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/srv:/sbin/nologin\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
  mkdirSync(join(dir, 'srv/data'), { recursive: true });
  mkdirSync(join(dir, 'usr/bin'), { recursive: true });
  symlinkSync('/app/hello', join(dir, 'usr/bin/hello'));
  return openDirRoot(dir);
}

describe("the base image's configuration, kept", () => {
  it('ENV, WORKDIR, EXPOSE, STOPSIGNAL, VOLUME, LABEL and the OCI base labels, each under its comment, after the COPY lines', () => {
    const config: BaseConfig = {
      ...EMPTY,
      env: ['APP_MODE=production', 'TRICKY=a $HOME "q" \\ b'],
      workingDir: '/srv',
      exposedPorts: ['8080/tcp'],
      stopSignal: 'SIGQUIT',
      labels: { 'org.example.team': 'web' },
      volumes: ['/srv/data'],
    };
    const r = generate(
      helloInput(root(), { baseConfig: config, baseName: 'myorg/app:1', baseDigest: 'sha256:abc', expose: ['8080', '9090/udp'] }),
    );
    const text = r.dockerfile;
    expect(text).toContain('# the base image\'s environment\nENV APP_MODE="production" \\\n    TRICKY="a \\$HOME \\"q\\" \\\\ b"\n');
    expect(text).toContain("# the base image's working directory\nWORKDIR /srv\n");
    expect(text).toContain('EXPOSE 8080/tcp\nEXPOSE 9090/udp\n');
    expect(text).not.toMatch(/EXPOSE 8080\n/);
    expect(text).toContain('STOPSIGNAL SIGQUIT\n');
    expect(text).toContain('VOLUME ["/srv/data"]\n');
    expect(text).toContain('LABEL "org.example.team"="web"\n');
    expect(text).toContain('org.opencontainers.image.base.name="myorg/app:1"');
    expect(text).toContain('org.opencontainers.image.base.digest="sha256:abc"');
    expect(text.indexOf('COPY --from=base')).toBeLessThan(text.indexOf('VOLUME'));
    // The working directory and the volume exist in the scaffold with the base's mode and owner.
    expect(r.plan.dirs.get('/srv')).toMatchObject({ uid: process.getuid?.() === 0 ? 0 : process.getuid?.() });
    expect(r.plan.dirs.has('/srv/data')).toBe(true);
  });

  it("runs as the base's USER when it is not root and is an account of the base; --user still wins", () => {
    const r = generate(helloInput(root(), { baseConfig: { ...EMPTY, user: 'app' } }));
    expect(r.runAs).toMatchObject({ name: 'app', uid: 1000 });
    expect(r.dockerfile).toContain("# the base image's user\nUSER 1000:1000\n");
    expect(generate(helloInput(root(), { baseConfig: { ...EMPTY, user: 'app' }, user: '0' })).runAs.uid).toBe(0);
    expect(generate(helloInput(root(), { baseConfig: { ...EMPTY, user: 'root' } })).runAs.uid).toBe(65532);
    expect(generate(helloInput(root(), { baseConfig: { ...EMPTY, user: 'ghost' } })).runAs.uid).toBe(65532);
  });

  it("keeps the base's CMD when the program is its entrypoint, by path or by name on PATH; not otherwise", () => {
    const r = root();
    const viaEntry = generate(helloInput(r, { baseConfig: { ...EMPTY, entrypoint: ['/usr/bin/hello', '-v'], cmd: ['--port', '80'] } }));
    expect(viaEntry.entrypoint).toEqual(['/app/hello', '-v']);
    expect(viaEntry.dockerfile).toContain(
      'ENTRYPOINT ["/app/hello","-v"]\n# the base image\'s CMD (the program is its entrypoint)\nCMD ["--port","80"]\n',
    );
    const viaCmd = carriedEntry(r, ['/app/hello'], { ...EMPTY, cmd: ['hello', '--port', '80'], env: ['PATH=/usr/bin'] }, []);
    expect(viaCmd).toMatchObject({ entryArgs: [], cmd: ['--port', '80'] });
    const other = carriedEntry(r, ['/app/hello'], { ...EMPTY, entrypoint: ['/docker-entrypoint.sh'], cmd: ['hello'] }, []);
    expect(other.cmd).toBeUndefined();
    expect(other.notes[0]).toMatch(/the base starts \["\/docker-entrypoint.sh"\], not \/app\/hello/);
    const userArgs = carriedEntry(r, ['/app/hello'], { ...EMPTY, entrypoint: ['/app/hello'], cmd: ['--port', '80'] }, ['-x']);
    expect(userArgs.cmd).toBeUndefined();
    expect(userArgs.notes[0]).toMatch(/replace the base's CMD/);
    // A script asked for is started through its interpreter: a base that starts either keeps its CMD.
    const script = carriedEntry(r, ['/app/app.py', '/app/hello'], { ...EMPTY, entrypoint: ['/app/hello'], cmd: ['--port', '80'] }, []);
    expect(script).toMatchObject({ cmd: ['--port', '80'], notes: [] });
  });

  it("a profile's default flag is not given twice when the kept arguments set it (nginx -g)", () => {
    expect(defaultArgsBeside(['-g', 'daemon off;'], ['-g', 'daemon off; pid /run/x.pid;'])).toEqual([]);
    expect(defaultArgsBeside(['-g', 'daemon off;'], ['-c', '/etc/nginx/other.conf'])).toEqual(['-g', 'daemon off;']);
  });

  it('a HEALTHCHECK is kept only when its program is in the image', () => {
    const hc = { test: ['CMD', '/app/hello', '--ping'], interval: 5e9, retries: 3 };
    const kept = generate(helloInput(root(), { baseConfig: { ...EMPTY, healthcheck: hc } }));
    expect(kept.dockerfile).toContain('HEALTHCHECK --interval=5s --retries=3 CMD ["/app/hello","--ping"]\n');
    const shell = generate(helloInput(root(), { baseConfig: { ...EMPTY, healthcheck: { test: ['CMD-SHELL', 'curl -f localhost'] } } }));
    expect(shell.dockerfile).not.toContain('HEALTHCHECK');
    expect(shell.notes.join('\n')).toMatch(/HEALTHCHECK runs \/bin\/sh, which is not in this image: left out/);
  });

  it('without a base configuration (a root directory, --no-base-config) nothing is added', () => {
    const r = generate(helloInput(root()));
    expect(r.dockerfile).not.toMatch(/^(ENV|WORKDIR|STOPSIGNAL|VOLUME|LABEL|CMD|HEALTHCHECK)/m);
  });
});

describe('the size summary after generating', () => {
  it('says what the image holds and what brings the most', () => {
    const r = generate(helloInput(root(), { includes: ['/srv'] }));
    const lines = sizeSummary(r);
    expect(lines[0]).toMatch(/^the image holds \d+(\.\d)? (KiB|MiB) in \d+ files$/);
    expect(lines[1]).toMatch(/^largest: \/app\/hello \d+(\.\d)? (KiB|MiB) \(\d+ KiB and what only it loads\)/);
  });
});
