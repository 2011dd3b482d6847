import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { DOCKER, IN_CI, builderBase, dockerAnswers, dockerBuild, nginxBase, podmanAnswers, probeServicesBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;

interface Check {
  name: string;
  pass: boolean;
  differences: string[];
  base?: { http?: { status: number; location: string | null; contentType: string | null; sha256: string }; run?: { stdout: string } };
  scratch?: Check['base'];
}
interface Report {
  pass: boolean;
  added: { path: string }[];
  service: ({ pass: boolean; checks: Check[]; missing: { path: string; fix: string }[] } | null)[];
}

async function verify(args: string[], cwd?: string) {
  const r = await execa(BIN, ['verify', '--json', ...args], { reject: false, cwd, timeout: 600_000 });
  if (!r.stdout.startsWith('{')) throw new Error(`verify ${args.join(' ')} printed no report (exit ${r.exitCode}): ${r.stderr}`);
  return { code: r.exitCode ?? -1, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/** The last round's checks by name. */
function checks(report: Report): Map<string, Check> {
  const last = report.service[report.service.length - 1];
  return new Map((last?.checks ?? []).map((c) => [c.name, c]));
}

/** verify of Redis keeping its data on a volume: written, restarted with its stop signal, read back. */
function redis(base: string, data: string, extra: string[] = []): string[] {
  return [
    '/usr/bin/redis-server',
    '--base',
    base,
    ...extra,
    '--user',
    'redis',
    '--volume',
    `${data}:/var/lib/redis`,
    '--probe-cmd',
    'redis-cli set greeting hello',
    '--restart',
    '--probe-cmd',
    'redis-cli get greeting',
    '--',
    '--dir',
    '/var/lib/redis',
    '--bind',
    '127.0.0.1',
  ];
}

const docker = (args: string[]) => execa(DOCKER, args, { reject: false, timeout: 120_000 });

/** A user's uid:gid in the image, as its own `id` says (the tests give the service's account its data directory). */
async function ids(cli: string, image: string, user: string): Promise<string> {
  const out = (await execa(cli, ['run', '--rm', '--network', 'none', '--entrypoint', '/usr/bin/id', image, user])).stdout;
  return `${/uid=(\d+)/.exec(out)![1]}:${/gid=(\d+)/.exec(out)![1]}`;
}

/**
 * The blog this project started from: a user's Dockerfile stage on the nginx base adds a site whose /cv is one
 * file (`alias /usr/share/nginx/resume.pdf`), / answers a redirect, and the stage sets the run configuration a
 * team would (ENV, WORKDIR, EXPOSE, STOPSIGNAL SIGQUIT, LABEL, ENTRYPOINT and CMD).
 */
const BLOG_CONF = `server {
  listen 80 default_server;
  root /var/www/html;
  location = / { return 302 /cv; }
  location /cv { alias /usr/share/nginx/resume.pdf; default_type application/pdf; }
}
`;
const PDF = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';

describe.runIf(run)('verify for services: started in both images, probed, stopped, compared', () => {
  let services: string;
  let blog: string;
  beforeAll(async () => {
    services = (await probeServicesBase()).ref;
    const nginx = (await nginxBase()).ref;
    blog = mkdtempSync(join(tmpdir(), 'scratchify-blog-'));
    writeFileSync(join(blog, 'resume.pdf'), PDF);
    writeFileSync(join(blog, 'blog.conf'), BLOG_CONF);
    writeFileSync(
      join(blog, 'Dockerfile'),
      [
        `FROM ${nginx} AS site`,
        'COPY resume.pdf /usr/share/nginx/resume.pdf',
        'COPY blog.conf /etc/nginx/sites-enabled/default',
        // A link out of the web root, as Debian's packages make them: only a request shows nginx opens its target.
        'RUN ln -s /usr/share/common-licenses/GPL-3 /var/www/html/license.txt',
        'ENV APP_MODE=production LANG=C.UTF-8',
        'WORKDIR /srv',
        'EXPOSE 80',
        'STOPSIGNAL SIGQUIT',
        'LABEL org.example.team="web"',
        'ENTRYPOINT ["/usr/sbin/nginx"]',
        'CMD ["-g", "daemon off;"]',
        '',
      ].join('\n'),
    );
  });

  /** The blog's generated Dockerfile with a scaffold that lacks /var/lib/nginx, as a hand-written one would. */
  async function withoutTempDirs(): Promise<string> {
    await dockerBuild(blog, 'scratchify-test/blog:site', 'Dockerfile');
    const lacking = join(blog, 'Dockerfile.notemp');
    if (existsSync(lacking)) return lacking;
    // The scaffold unpacked (owners and modes kept), /var/lib/nginx taken out, packed again.
    const tree = mkdtempSync(join(tmpdir(), 'scratchify-notemp-'));
    await execa('tar', ['-xpf', join(blog, 'Dockerfile.scratch.scaffold.tar'), '-C', tree]);
    rmSync(join(tree, 'var/lib/nginx'), { recursive: true });
    await execa('tar', ['--numeric-owner', '-C', tree, '-cf', join(blog, 'notemp.tar'), '.']);
    rmSync(tree, { recursive: true });
    writeFileSync(lacking, readFileSync(join(blog, 'Dockerfile.scratch'), 'utf8').replace(/^ADD \S+ \/$/m, 'ADD notemp.tar /'));
    return lacking;
  }

  it("the blog's site from a user's stage: / and /cv answer as in the base, without flags; the image keeps the stage's configuration and stops on SIGQUIT", async () => {
    const out = join(blog, 'Dockerfile.scratch');
    const site = ['--dockerfile', join(blog, 'Dockerfile'), '--target', 'site', '--build-network', 'none'];
    const { code, report, stderr } = await verify([
      '/usr/sbin/nginx',
      ...site,
      '--probe',
      'http://127.0.0.1/',
      '--probe',
      'http://127.0.0.1/cv',
      '-o',
      out,
    ]);
    expect(code, stderr).toBe(0);
    const c = checks(report);
    const root = c.get("--probe 'http://127.0.0.1/'");
    expect(root?.scratch?.http).toMatchObject({ status: 302, location: expect.stringMatching(/\/cv$/) });
    expect(root?.scratch?.http?.location).toBe(root?.base?.http?.location);
    const cv = c.get("--probe 'http://127.0.0.1/cv'")?.scratch?.http;
    expect(cv).toMatchObject({ status: 200, contentType: 'application/pdf', sha256: createHash('sha256').update(PDF).digest('hex') });
    expect(c.get('stop')).toMatchObject({ pass: true, scratch: { status: 'stopped', exitCode: 0 } });
    // The stage image scratchify built to read the stage is not left behind.
    const stageTag = `scratchify-stage/site:${createHash('sha256')
      .update(`${join(blog, 'Dockerfile')}\0site`)
      .digest('hex')
      .slice(0, 12)}`;
    expect((await docker(['image', 'inspect', stageTag])).exitCode).not.toBe(0);

    // The Dockerfile written is the user's stages and the scratch stage: it builds as it is.
    await dockerBuild(blog, 'scratchify-test/blog:scratch', 'Dockerfile.scratch');
    const config = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .Config}}', 'scratchify-test/blog:scratch'])).stdout);
    expect(config.Env).toEqual(expect.arrayContaining(['APP_MODE=production', 'LANG=C.UTF-8']));
    expect(config).toMatchObject({
      WorkingDir: '/srv',
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGQUIT',
      Entrypoint: ['/usr/sbin/nginx'],
      Cmd: ['-g', 'daemon off;'],
    });
    expect(config.Labels).toMatchObject({ 'org.example.team': 'web' });
    const name = `scratchify-test-blog-${process.pid}`;
    await docker(['run', '-d', '--name', name, '--network', 'none', 'scratchify-test/blog:scratch']);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      await docker(['stop', '-t', '10', name]);
      // SIGQUIT is nginx's graceful stop: it exits at once with 0, not killed (137) after 10 s.
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await docker(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout.trim()).toBe('0');
    } finally {
      await docker(['rm', '-f', name]);
    }
  }, 600_000);

  it('the blog passes verify --hardened: nginx starts as root with only the capabilities it switches users and binds port 80 with', async () => {
    const site = ['--dockerfile', join(blog, 'Dockerfile'), '--target', 'site', '--build-network', 'none'];
    const { code, report, stderr } = await verify(['/usr/sbin/nginx', ...site, '--hardened', '--probe', 'http://127.0.0.1/cv']);
    expect(code, stderr).toBe(0);
    expect((report as unknown as { hardened: { capAdd: string[] } }).hardened.capAdd).toEqual([
      'CHOWN',
      'KILL',
      'NET_BIND_SERVICE',
      'SETGID',
      'SETUID',
    ]);
  }, 600_000);

  it('a hand-written Dockerfile that lacks the PDF: verify -f FAILs naming it and the flag; --fix writes a copy that passes', async () => {
    await dockerBuild(blog, 'scratchify-test/blog:site', 'Dockerfile');
    const written = readFileSync(join(blog, 'Dockerfile.scratch'), 'utf8');
    writeFileSync(join(blog, 'Dockerfile.lacking'), written.replace(/^COPY --from=site \/usr\/share\/nginx\/resume\.pdf .*\n/m, ''));
    const probes = ['--probe', 'http://127.0.0.1/cv'];
    const common = ['/usr/sbin/nginx', '-f', join(blog, 'Dockerfile.lacking'), '--base', 'scratchify-test/blog:site', ...probes];
    const failed = await verify(common);
    expect(failed.code, failed.stderr).toBe(EXIT_CODES.MISMATCH);
    const cv = checks(failed.report).get("--probe 'http://127.0.0.1/cv'");
    expect(cv?.differences.join(' ')).toMatch(/HTTP status 404, the base's 200/);
    expect(failed.report.service[0]?.missing).toContainEqual({
      path: '/usr/share/nginx/resume.pdf',
      use: 'read',
      fix: '--include /usr/share/nginx/resume.pdf',
    });
    const fixed = await verify([...common, '--fix', '-o', join(blog, 'Dockerfile.fixed')]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report.added.map((a) => a.path)).toEqual(['/usr/share/nginx/resume.pdf']);
    expect(readFileSync(join(blog, 'Dockerfile.fixed'), 'utf8')).toMatch(/^COPY --from=scratchify-fix \/usr\/share\/nginx\/resume.pdf /m);
  }, 600_000);

  it("a hand-written Dockerfile without nginx's temp directories: verify -f names the directory nginx creates them in, and --fix passes in one round", async () => {
    const lacking = await withoutTempDirs();
    const common = ['/usr/sbin/nginx', '-f', lacking, '--base', 'scratchify-test/blog:site', '--probe', 'http://127.0.0.1/cv'];
    const failed = await verify(common);
    expect(failed.code, failed.stderr).toBe(EXIT_CODES.MISMATCH);
    expect(failed.report.service[0]?.missing).toContainEqual(
      expect.objectContaining({ path: '/var/lib/nginx', use: 'dir', fix: expect.stringMatching(/created body there/) }),
    );
    const fixed = await verify([...common, '--fix', '-o', join(blog, 'Dockerfile.notemp.fixed')]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report.service.length).toBe(2);
    expect(readFileSync(join(blog, 'Dockerfile.notemp.fixed'), 'utf8')).toMatch(
      /^# body was created there by the service in the base \(--fix\)\nCOPY --from=scratchify-fix \/var\/lib\/nginx\/ \/var\/lib\/nginx\/$/m,
    );
  }, 600_000);

  it('Ctrl-C while verify --fix builds, traces, or builds again: exit 130, and no image (tagged or not), container, volume, temporary file or output left', async () => {
    const lacking = await withoutTempDirs();
    const out = join(blog, 'Dockerfile.interrupted');
    for (const moment of [
      /building the scratch image \(round 1\)/,
      /tracing the service in both images/,
      /building the scratch image \(round 2\)/,
    ]) {
      const tmp = mkdtempSync(join(tmpdir(), 'scratchify-ctrlc-'));
      const dangling = async () =>
        new Set((await docker(['images', '-a', '-q', '--filter', 'dangling=true'])).stdout.split('\n').filter(Boolean));
      const before = await dangling();
      const child = execa(
        BIN,
        [
          'verify',
          '/usr/sbin/nginx',
          '-f',
          lacking,
          '--base',
          'scratchify-test/blog:site',
          '--probe',
          'http://127.0.0.1/cv',
          '--fix',
          '-o',
          out,
        ],
        {
          detached: true,
          reject: false,
          env: { TMPDIR: tmp },
        },
      );
      await Promise.race([
        new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => moment.test(String(d)) && resolve())),
        child,
      ]);
      // Inside the step, not at its first line.
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(-child.pid!, 'SIGINT');
      const interrupted = await child;
      expect(interrupted.exitCode, `${moment}: ${interrupted.stderr}`).toBe(130);
      expect((await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toMatch(/scratchify-(service|probe|run|trace)-/);
      expect((await docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout).not.toMatch(/scratchify-volume-/);
      expect((await docker(['images', '--format', '{{.Repository}}'])).stdout).not.toMatch(/scratchify-verify/);
      expect((await docker(['images', '-a', '-q', '--filter', 'label=org.scratchify.leftover'])).stdout.trim(), `${moment}`).toBe('');
      // A build's step images, and an export whose tag never came, are untagged: none is new.
      expect(
        [...(await dangling())].filter((id) => !before.has(id)),
        `${moment}`,
      ).toEqual([]);
      expect(readdirSync(tmp), `${moment}`).toEqual([]);
      expect(existsSync(out)).toBe(false);
      rmSync(tmp, { recursive: true });
    }
  }, 600_000);

  it('generate --trace-service sees what a request opens behind a link out of the web root; verify -f of its Dockerfile passes', async () => {
    const out = join(blog, 'Dockerfile.traced');
    const g = await execa(
      BIN,
      ['/usr/sbin/nginx', '--base', 'scratchify-test/blog:site', '--trace-service', '--probe', 'http://127.0.0.1/license.txt', '-o', out],
      {
        reject: false,
      },
    );
    expect(g.exitCode, g.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /# used by the service while it answered its probes \(--trace-service\)\n(#.*\n)*COPY --from=base .*\/usr\/share\/common-licenses\/GPL-3/,
    );
    const v = await verify([
      '/usr/sbin/nginx',
      '-f',
      out,
      '--base',
      'scratchify-test/blog:site',
      '--probe',
      'http://127.0.0.1/license.txt',
    ]);
    expect(v.code, v.stderr).toBe(0);
  }, 600_000);

  it('a static file server whose site directory is an argument (webfsd -r DIR): carried, and it serves the same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-webfs-'));
    mkdirSync(join(dir, 'site/css'), { recursive: true });
    writeFileSync(join(dir, 'site/index.html'), '<h1>hello</h1>\n');
    writeFileSync(join(dir, 'site/css/a.css'), 'body { color: black }\n');
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${services} AS site\nCOPY site /srv/site\n`);
    const { code, report, stderr } = await verify(
      [
        '/usr/bin/webfsd',
        '--dockerfile',
        join(dir, 'Dockerfile'),
        '--target',
        'site',
        '--user',
        'www-data',
        '--probe',
        'http://127.0.0.1:8080/',
        '--probe',
        'http://127.0.0.1:8080/css/a.css',
        '--',
        '-F',
        '-p',
        '8080',
        '-r',
        '/srv/site',
        '-f',
        'index.html',
      ],
      dir,
    );
    expect(code, stderr).toBe(0);
    expect(checks(report).get("--probe 'http://127.0.0.1:8080/css/a.css'")?.scratch?.http).toMatchObject({
      status: 200,
      contentType: 'text/css',
    });
  }, 600_000);

  it('PostgreSQL on a data directory volume made by initdb in the base answers psql from the base, without flags', async () => {
    const volume = `scratchify-test-pgdata-${process.pid}`;
    await docker(['volume', 'rm', '-f', volume]);
    await docker(['volume', 'create', volume]);
    try {
      const mount = ['-v', `${volume}:/var/lib/postgresql/data`];
      await docker([
        'run',
        '--rm',
        '--network',
        'none',
        ...mount,
        '--entrypoint',
        '/bin/chown',
        services,
        'postgres:postgres',
        '/var/lib/postgresql/data',
      ]);
      const init = await docker([
        'run',
        '--rm',
        '--network',
        'none',
        '-u',
        'postgres',
        ...mount,
        '--entrypoint',
        '/usr/lib/postgresql/15/bin/initdb',
        services,
        '-D',
        '/var/lib/postgresql/data',
        '--auth=trust',
        '-U',
        'postgres',
      ]);
      expect(init.exitCode, init.stderr).toBe(0);
      const { code, report, stderr } = await verify([
        '/usr/lib/postgresql/15/bin/postgres',
        '--base',
        services,
        '--user',
        'postgres',
        '--volume',
        `${volume}:/var/lib/postgresql/data`,
        '--probe',
        'tcp://127.0.0.1:5432',
        '--probe-cmd',
        "psql -h 127.0.0.1 -U postgres -tAc 'select 6 * 7'",
        '--',
        '-D',
        '/var/lib/postgresql/data',
        '-c',
        'listen_addresses=127.0.0.1',
        '-k',
        '/tmp',
      ]);
      expect(code, stderr).toBe(0);
      expect(report.added).toEqual([]);
      expect(checks(report).get(`--probe-cmd 'psql -h 127.0.0.1 -U postgres -tAc 'select 6 * 7''`)?.scratch?.run?.stdout).toBe('42');
    } finally {
      await docker(['volume', 'rm', '-f', volume]);
    }
  }, 600_000);

  it('Redis keeps its data on a volume: written, stopped with its stop signal, started again on it, read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-redis-'));
    mkdirSync(join(dir, 'data'));
    // The redis account of the base owns its data directory, as the package makes it.
    await execa('chown', [await ids(DOCKER, services, 'redis'), join(dir, 'data')]);
    const { code, report, stderr } = await verify(redis(services, join(dir, 'data')));
    expect(code, stderr).toBe(0);
    const c = checks(report);
    expect(c.get('--restart')).toMatchObject({ pass: true });
    expect(c.get("--probe-cmd 'redis-cli get greeting'")?.scratch?.run?.stdout).toBe('hello');
  }, 600_000);

  it('memcached over TCP: a reply compared byte for byte, and one only for the text it must hold', async () => {
    const { code, report, stderr } = await verify([
      '/usr/bin/memcached',
      '--base',
      services,
      '--probe',
      'tcp://127.0.0.1:11211 -d "version\\r\\n" --expect VERSION',
      '--probe',
      'tcp://127.0.0.1:11211 -d "set k 0 0 5\\r\\nhello\\r\\nget k\\r\\n"',
      '--',
      '-u',
      'memcache',
      '-l',
      '127.0.0.1',
    ]);
    expect(code, stderr).toBe(0);
    expect([...checks(report).values()].map((c) => c.pass)).toEqual([true, true, true, true]);
  }, 600_000);

  it("a Go HTTP server built in a stage of the user's Dockerfile", async () => {
    const builder = await builderBase();
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-go-server-'));
    writeFileSync(join(dir, 'go.mod'), 'module example.com/server\n\ngo 1.19\n');
    writeFileSync(
      join(dir, 'main.go'),
      'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\thttp.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {\n\t\th, _ := os.Hostname()\n\t\tfmt.Fprintf(w, "hello from uid %d (%t)\\n", os.Getuid(), h != "")\n\t})\n\thttp.ListenAndServe("127.0.0.1:8080", nil)\n}\n',
    );
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${builder} AS build`,
        'WORKDIR /src',
        'COPY go.mod main.go ./',
        'RUN CGO_ENABLED=0 GOPROXY=off go build -o /app/server . && rm -rf /root/.cache',
        `FROM ${services} AS app`,
        'COPY --from=build /app/server /app/server',
        '',
      ].join('\n'),
    );
    const { code, report, stderr } = await verify(
      [
        '/app/server',
        '--dockerfile',
        join(dir, 'Dockerfile'),
        '--target',
        'app',
        '--build-network',
        'none',
        '--probe',
        'http://127.0.0.1:8080/hello',
      ],
      dir,
    );
    expect(code, stderr).toBe(0);
    const hello = checks(report).get("--probe 'http://127.0.0.1:8080/hello'");
    expect(hello?.pass).toBe(true);
  }, 900_000);
});

describe.runIf(run)('verify for services: bad input and interruptions', () => {
  let services: string;
  beforeAll(async () => {
    services = (await probeServicesBase()).ref;
  });
  const memcached = (extra: string[]) => [
    'verify',
    '/usr/bin/memcached',
    '--base',
    services,
    ...extra,
    '--',
    '-u',
    'memcache',
    '-l',
    '127.0.0.1',
  ];
  const oneLine = (stderr: string) => {
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('scratchify: building') && !l.startsWith('scratchify: starting'));
    expect(lines.length, stderr).toBeLessThanOrEqual(2);
    expect(stderr).not.toMatch(/^\s+at |Error: /m);
    return lines.join('\n');
  };

  it('a probe that is not http:// or tcp://, or not on loopback: exit 2, one line, before any work', async () => {
    for (const [probe, why] of [
      ['ftp://127.0.0.1/x', /ftp:\/\/ is not a probe scheme/],
      ['http://example.com/', /example.com is not loopback/],
      ['tcp://127.0.0.1', /a tcp:\/\/ probe needs a port/],
    ] as const) {
      const r = await execa(BIN, memcached(['--probe', probe]), { reject: false });
      expect(r.exitCode, r.stderr).toBe(EXIT_CODES.USAGE);
      expect(oneLine(r.stderr)).toMatch(why);
    }
    const last = await execa(BIN, memcached(['--probe', 'tcp://127.0.0.1:11211', '--restart']), { reject: false });
    expect(last.exitCode).toBe(EXIT_CODES.USAGE);
    expect(oneLine(last.stderr)).toMatch(/--restart comes last/);
    const noVolume = await execa(BIN, memcached(['--probe', 'tcp://127.0.0.1:11211', '--volume', 'scratchify-no-such-volume:/data']), {
      reject: false,
    });
    expect(noVolume.exitCode).toBe(EXIT_CODES.INPUT_NOT_FOUND);
    expect(oneLine(noVolume.stderr)).toMatch(/has no volume named scratchify-no-such-volume/);
  }, 300_000);

  it('a port the service never opens: refused with the port and its last lines; a service that exits at once in the base: refused with why', async () => {
    const never = await execa(BIN, memcached(['--probe', 'tcp://127.0.0.1:9999', '--timeout', '4']), { reject: false });
    expect(never.exitCode, never.stderr).toBe(EXIT_CODES.NOTHING_TO_COMPARE);
    expect(oneLine(never.stderr)).toMatch(/does not start in the base either: port 9999 never accepted a connection in 4 s/);
    const exits = await execa(
      BIN,
      ['verify', '/usr/lib/postgresql/15/bin/postgres', '--base', services, '--user', 'postgres', '--probe', 'tcp://127.0.0.1:5432'],
      {
        reject: false,
      },
    );
    expect(exits.exitCode, exits.stderr).toBe(EXIT_CODES.NOTHING_TO_COMPARE);
    expect(oneLine(exits.stderr)).toMatch(
      /the service exited with status 2[\s\S]*hint: its last lines: .*does not know where to find the server configuration file/,
    );
  }, 300_000);

  it('Ctrl-C while the services run: exit 130, no container, volume or image left behind', async () => {
    const child = execa(BIN, memcached(['--probe', 'tcp://127.0.0.1:11211', '--volume', `${tmpdir()}:/data:ro`]), {
      detached: true,
      reject: false,
    });
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (d: Buffer) => /starting the service in the scratch image/.test(String(d)) && resolve()),
    );
    process.kill(-child.pid!, 'SIGINT');
    const interrupted = await child;
    expect(interrupted.exitCode, interrupted.stderr).toBe(130);
    expect((await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toMatch(/scratchify-(service|probe|run)-/);
    expect((await docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout).not.toMatch(/scratchify-volume-/);
    expect((await docker(['images', '--format', '{{.Repository}}'])).stdout).not.toMatch(/scratchify-verify/);
  }, 300_000);
});

const podman = (await podmanAnswers()) || IN_CI;

describe.runIf(podman)('verify for services with Podman', () => {
  it('Redis on a volume across --restart, and its port probed, as with Docker', async () => {
    const { ref } = await probeServicesBase('podman');
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-podman-redis-'));
    mkdirSync(join(dir, 'data'));
    await execa('chown', [await ids('podman', ref, 'redis'), join(dir, 'data')]);
    const { code, report, stderr } = await verify(
      redis(ref, join(dir, 'data'), ['--engine', 'podman', '--probe', 'tcp://127.0.0.1:6379 -d "PING\\r\\n" --expect PONG']),
    );
    expect(code, stderr).toBe(0);
    expect(checks(report).get("--probe-cmd 'redis-cli get greeting'")?.scratch?.run?.stdout).toBe('hello');
    expect(checks(report).get('stop')).toMatchObject({ pass: true, scratch: { status: 'stopped' } });
  }, 600_000);
});
