import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { DOCKER, IN_CI, builderBase, dockerAnswers, podmanAnswers, probeServicesBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';
import { checks, verify } from '../helpers/verify.js';

const run = (await dockerAnswers()) || IN_CI;

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

describe.runIf(run)('verify for services: started in both images, probed, stopped, compared', () => {
  let services: string;
  beforeAll(async () => {
    services = (await probeServicesBase()).ref;
  });

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
