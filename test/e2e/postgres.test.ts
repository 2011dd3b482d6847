import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER,
  IN_CI,
  PODMAN_LIMITS,
  PODMAN_RUN,
  dockerAnswers,
  dockerBuild,
  podmanAnswers,
  podmanBuild,
  probeServicesBase,
} from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;
const withPodman = (await podmanAnswers()) || IN_CI;

/*
 * Debian's PostgreSQL as a user ships it: the stock packages, the cluster Debian makes at install (ssl on, its key
 * readable through the ssl-cert group), `USER postgres`, the socket directory Debian's tmpfiles.d would make at
 * boot created in the Dockerfile, and the default configuration file given as `-c config_file=`. scratchify is
 * given no --include: the image must hold what the server loads by computed path ($libdir modules, locales,
 * text search data), keep the user's groups, and let the service write where it writes.
 */
const CONF = '/etc/postgresql/15/main/postgresql.conf';
const DATA = '/var/lib/postgresql/15/main';
const SOCKETS = '/var/run/postgresql';
const SQL = [
  "CREATE TABLE IF NOT EXISTS t (x text); INSERT INTO t VALUES ('kept'), ('Zebra'), ('apple'), ('Äpfel');",
  "SELECT string_agg(x, ',' ORDER BY x) FROM t;",
  "DO $$ BEGIN RAISE NOTICE 'plpgsql ran'; END $$;",
  "SELECT to_tsvector('english', 'running dogs');",
  "SELECT current_setting('lc_collate'), current_setting('ssl');",
].join('\n');

const docker = (args: string[]) => execa(DOCKER, args, { reject: false, timeout: 120_000 });
const tag = `scratchify-test/postgres-scratch:${process.pid}`;
const names = { volumes: [] as string[], containers: [] as string[] };

/** A server of `image` on fresh data and socket volumes, as a user runs it (no published port: the socket). */
async function serve(cli: string, image: string, data: string, sockets: string, extra: string[] = []): Promise<string> {
  const name = `scratchify-test-pg-${Math.random().toString(36).slice(2, 8)}`;
  if (cli === DOCKER) names.containers.push(name);
  const r = await execa(
    cli,
    [
      ...extra,
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      ...limits(cli),
      '-v',
      `${data}:${DATA}`,
      '-v',
      `${sockets}:${SOCKETS}`,
      image,
    ],
    {
      reject: false,
    },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return name;
}

const limits = (cli: string) => (cli === 'podman' ? PODMAN_LIMITS : []);

/** psql of the base, as postgres through the server's socket (Debian's pg_hba: peer), until it answers. */
async function psql(cli: string, base: string, sockets: string, sql: string, extra: string[] = []): Promise<string> {
  const args = [...extra, 'run', '--rm', '--network', 'none', ...limits(cli), '--user', 'postgres', '-v', `${sockets}:${SOCKETS}`];
  for (let i = 0; ; i++) {
    const r = await execa(cli, [...args, '--entrypoint', 'psql', base, '-v', 'ON_ERROR_STOP=1', '-tA', '-c', sql], { reject: false });
    // Notices go to standard error, apart from the rows: each stream is compared as it is.
    const out = r.stderr ? `${r.stdout}\n${r.stderr}` : r.stdout;
    if (r.exitCode === 0 || i >= 40 || !/No such file|Is the server running|starting up/.test(r.stderr)) return out;
    await new Promise((res) => setTimeout(res, 500));
  }
}

describe.runIf(run)("Debian's PostgreSQL from a user's image, without --include", () => {
  let base: string;
  let dir: string;
  beforeAll(async () => {
    const services = (await probeServicesBase()).ref;
    dir = mkdtempSync(join(tmpdir(), 'scratchify-pg-'));
    writeFileSync(
      join(dir, 'Dockerfile.base'),
      [
        `FROM ${services}`,
        'RUN install -d -o postgres -g postgres -m 2775 /run/postgresql',
        'USER postgres',
        'ENTRYPOINT ["/usr/lib/postgresql/15/bin/postgres"]',
        `CMD ["-c", "config_file=${CONF}"]`,
        '',
      ].join('\n'),
    );
    base = `scratchify-test/postgres-user:${process.pid}`;
    await dockerBuild(dir, base, 'Dockerfile.base');
  }, 600_000);

  afterAll(async () => {
    for (const c of names.containers) await docker(['rm', '-f', c]);
    for (const v of names.volumes) await docker(['volume', 'rm', '-f', v]);
    await docker(['rmi', '-f', tag, base]);
  });

  it('psql does real work in the scratch image as in the base: a table kept across docker stop and start, collation, plpgsql, text search, ssl', async () => {
    const g = await execa(
      BIN,
      ['/usr/lib/postgresql/15/bin/postgres', '--base', base, '-o', join(dir, 'Dockerfile'), '--', '-c', `config_file=${CONF}`],
      {
        reject: false,
      },
    );
    expect(g.exitCode, g.stderr).toBe(0);
    const dockerfile = (await execa('cat', [join(dir, 'Dockerfile')])).stdout;
    // The user keeps ssl-cert: USER by uid, which the engine gives the groups /etc/group lists.
    expect(dockerfile).toMatch(/^USER \d+$/m);
    expect(dockerfile).toMatch(/^# \/run\/postgresql: /m);
    expect(dockerfile).not.toContain('llvmjit');
    await dockerBuild(dir, tag);

    const results: Record<string, string[]> = {};
    for (const [i, image] of [base, tag].entries()) {
      const [data, sockets] = [`scratchify-test-pgdata-${process.pid}-${i}`, `scratchify-test-pgsock-${process.pid}-${i}`];
      names.volumes.push(data, sockets);
      await docker(['volume', 'rm', '-f', data, sockets]);
      const first = await serve(DOCKER, image, data, sockets);
      const out = [await psql(DOCKER, base, sockets, SQL)];
      const stop = await docker(['stop', first]);
      expect(stop.exitCode, stop.stderr).toBe(0);
      expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', first])).stdout.trim()).toBe('0');
      await serve(DOCKER, image, data, sockets);
      out.push(await psql(DOCKER, base, sockets, "SELECT count(*) FROM t WHERE x = 'kept'"));
      results[image] = out;
    }
    expect(results[base][0]).toContain('NOTICE:  plpgsql ran');
    expect(results[base][0]).toContain("'dog':2 'run':1");
    expect(results[base][1]).toBe('1');
    expect(results[tag]).toEqual(results[base]);
    const sizes = await docker(['image', 'inspect', '-f', '{{.Size}}', base, tag]);
    const [baseSize, scratchSize] = sizes.stdout.trim().split('\n').map(Number);
    expect(scratchSize).toBeLessThan(baseSize / 2);
  }, 600_000);

  it('verify --hardened passes with no probe given: its own round trip is a query through the socket, as postgres', async () => {
    const r = await execa(
      BIN,
      ['verify', '/usr/lib/postgresql/15/bin/postgres', '--base', base, '--hardened', '--json', '--', '-c', `config_file=${CONF}`],
      {
        reject: false,
        timeout: 600_000,
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      hardened: { capAdd: string[]; volumes: string[] };
      service: { checks: { name: string; roundTrip?: string; scratch?: { tcp?: { reply: string } } }[] }[];
    };
    // Read-only, no capability at all, its cluster and its log directory on volumes.
    expect(report.hardened).toMatchObject({ capAdd: [], volumes: [DATA, '/var/log/postgresql'] });
    const probe = report.service[0].checks.find((c) => c.roundTrip);
    expect(probe?.roundTrip).toMatch(/as postgres through \/run\/postgresql\/\.s\.PGSQL\.5432/);
    expect(Buffer.from(probe?.scratch?.tcp?.reply ?? '', 'base64').toString()).toBe("let in; the query answered 42|'probe':2 'run':1");
  }, 600_000);

  it.runIf(withPodman)(
    'Podman builds the same Dockerfile, and its image answers psql with the data kept across a restart',
    async () => {
      await probeServicesBase('podman');
      await podmanBuild(dir, base, 'Dockerfile.base');
      await podmanBuild(dir, tag);
      const [data, sockets] = [`scratchify-test-pgdata-${process.pid}-p`, `scratchify-test-pgsock-${process.pid}-p`];
      const podman = (args: string[]) => execa('podman', [...PODMAN_RUN, ...args], { reject: false, timeout: 120_000 });
      const started: string[] = [];
      try {
        started.push(await serve('podman', tag, data, sockets, PODMAN_RUN));
        expect(await psql('podman', base, sockets, "CREATE TABLE k (v text); INSERT INTO k VALUES ('podman')", PODMAN_RUN)).toContain(
          'INSERT 0 1',
        );
        expect((await podman(['stop', started[0]])).exitCode).toBe(0);
        started.push(await serve('podman', tag, data, sockets, PODMAN_RUN));
        expect(await psql('podman', base, sockets, 'SELECT v FROM k', PODMAN_RUN)).toBe('podman');
      } finally {
        await podman(['rm', '-f', ...started]);
        await podman(['volume', 'rm', '-f', data, sockets]);
        await podman(['rmi', '-f', tag, base]);
      }
    },
    600_000,
  );
});
