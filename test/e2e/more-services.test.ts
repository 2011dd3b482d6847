import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, moreServicesBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;

/*
 * Three services from Debian this project had not used, each cut from a user's image without --include, started,
 * and given real work by its own client: MariaDB keeps a table across docker stop and start on a volume (its
 * option files are followed through !includedir, its cluster carried), Mosquitto keeps a retained message across
 * a restart on a volume (its include_dir followed, the directories its configuration names for writing made),
 * lighttpd serves a page, its configuration running Perl helpers (include_shell), which only a trace shows.
 * Each also passes verify --hardened: read-only, capabilities dropped, tmpfs and volumes where it writes.
 */
const USER_IMAGES: Record<string, string[]> = {
  mariadb: ['RUN install -d -o mysql -g mysql /run/mysqld', 'USER mysql', 'ENTRYPOINT ["/usr/sbin/mariadbd"]'],
  mosquitto: [
    'RUN install -d -o mosquitto -g mosquitto /run/mosquitto',
    'USER mosquitto',
    'ENTRYPOINT ["/usr/sbin/mosquitto", "-c", "/etc/mosquitto/mosquitto.conf"]',
  ],
  lighttpd: [
    "RUN echo '<h1>hello from lighttpd</h1>' > /var/www/html/index.html" +
      ' && sed -i \'s/^server.port.*/server.port = 8080/; s|^server.pid-file.*|server.pid-file = "/run/lighttpd/lighttpd.pid"|\' /etc/lighttpd/lighttpd.conf' +
      ' && install -d -o www-data -g www-data /run/lighttpd',
    'USER www-data',
    'ENTRYPOINT ["/usr/sbin/lighttpd", "-D", "-f", "/etc/lighttpd/lighttpd.conf"]',
  ],
};

const docker = (args: string[]) => execa(DOCKER, args, { reject: false, timeout: 120_000 });
const made = { containers: [] as string[], volumes: [] as string[], images: [] as string[] };

/** The service's container on fresh volumes, with no network of its own but its loopback. */
async function serve(image: string, mounts: string[]): Promise<string> {
  const name = `scratchify-test-more-${Math.random().toString(36).slice(2, 8)}`;
  made.containers.push(name);
  const r = await docker(['run', '-d', '--name', name, '--network', 'none', ...mounts.flatMap((m) => ['-v', m]), image]);
  expect(r.exitCode, r.stderr).toBe(0);
  return name;
}

/** A client of the base in the service's network (or beside its socket), tried until the service answers. */
async function client(base: string, args: string[], extra: string[] = []): Promise<string> {
  for (let i = 0; ; i++) {
    const r = await docker(['run', '--rm', ...extra, '--entrypoint', args[0], base, ...args.slice(1)]);
    if (r.exitCode === 0 || i >= 40) return r.exitCode === 0 ? r.stdout : `exit ${r.exitCode}: ${r.stderr}`;
    await new Promise((res) => setTimeout(res, 500));
  }
}

describe.runIf(run)('services new to the project: MariaDB, Mosquitto, lighttpd', () => {
  const bases: Record<string, string> = {};
  let dir: string;
  beforeAll(async () => {
    const { ref } = await moreServicesBase();
    dir = mkdtempSync(join(tmpdir(), 'scratchify-more-'));
    for (const [name, lines] of Object.entries(USER_IMAGES)) {
      writeFileSync(join(dir, `Dockerfile.${name}`), [`FROM ${ref}`, ...lines, ''].join('\n'));
      bases[name] = `scratchify-test/more-${name}:${process.pid}`;
      made.images.push(bases[name]);
      await dockerBuild(dir, bases[name], `Dockerfile.${name}`);
    }
  }, 900_000);

  afterAll(async () => {
    if (made.containers.length) await docker(['rm', '-f', ...made.containers]);
    if (made.volumes.length) await docker(['volume', 'rm', '-f', ...made.volumes]);
    if (made.images.length) await docker(['rmi', '-f', ...made.images]);
  });

  /** generate (with `flags`) and build the scratch image of `name`'s program; its tag. */
  async function cut(name: string, program: string, flags: string[] = []): Promise<string> {
    const out = join(dir, `Dockerfile.${name}.scratch`);
    const g = await execa(BIN, [program, '--base', bases[name], '-o', out, ...flags], { reject: false });
    expect(g.exitCode, g.stderr).toBe(0);
    const tag = `scratchify-test/more-${name}-scratch:${process.pid}`;
    made.images.push(tag);
    await dockerBuild(dir, tag, `Dockerfile.${name}.scratch`);
    return tag;
  }

  /** A volume for this test, removed at the end. */
  const volume = (what: string) => {
    const v = `scratchify-test-more-${what}-${process.pid}`;
    made.volumes.push(v);
    return v;
  };

  it('MariaDB: the mariadb client creates, orders and reads back a table across docker stop and start on its volume', async () => {
    const image = await cut('mariadb', '/usr/sbin/mariadbd');
    const [data, sockets] = [volume('mysql'), volume('mysqld')];
    const mounts = [`${data}:/var/lib/mysql`, `${sockets}:/run/mysqld`];
    const sql = (q: string) =>
      client(bases.mariadb, ['mariadb', '-uroot', '-N', '-e', q], ['--network', 'none', '--user', 'root', '-v', `${sockets}:/run/mysqld`]);
    const first = await serve(image, mounts);
    expect(
      await sql(
        "CREATE DATABASE app; CREATE TABLE app.t (x varchar(20)); INSERT INTO app.t VALUES ('kept'), ('Äpfel'), ('apple'); SELECT group_concat(x ORDER BY x) FROM app.t",
      ),
    ).toBe('apple,Äpfel,kept');
    expect((await docker(['stop', first])).exitCode).toBe(0);
    await serve(image, mounts);
    expect(await sql("SELECT count(*) FROM app.t WHERE x = 'kept'")).toBe('1');
  }, 600_000);

  it('Mosquitto: a retained message published to it is still there after docker stop and start on its volume', async () => {
    const image = await cut('mosquitto', '/usr/sbin/mosquitto');
    const data = volume('mosquitto');
    const mq = (server: string, args: string[]) => client(bases.mosquitto, args, ['--network', `container:${server}`]);
    const first = await serve(image, [`${data}:/var/lib/mosquitto`]);
    expect(await mq(first, ['mosquitto_pub', '-t', 'scratchify/test', '-m', 'kept', '-r', '-q', '1'])).toBe('');
    expect((await docker(['stop', first])).exitCode).toBe(0);
    const second = await serve(image, [`${data}:/var/lib/mosquitto`]);
    expect(await mq(second, ['mosquitto_sub', '-t', 'scratchify/test', '-C', '1', '-W', '10'])).toBe('kept');
  }, 600_000);

  it('lighttpd: with --trace-service its Perl helpers (include_shell) come along, and curl gets the page', async () => {
    const image = await cut('lighttpd', '/usr/sbin/lighttpd', ['--trace-service', '--probe', 'http://127.0.0.1:8080/']);
    const text = (await execa('cat', [join(dir, 'Dockerfile.lighttpd.scratch')])).stdout;
    expect(text).toMatch(/# the interpreter of \/usr\/share\/lighttpd\/[\w-]+\.pl, which a traced run executed/);
    const name = await serve(image, []);
    expect(await client(bases.lighttpd, ['curl', '-sf', 'http://127.0.0.1:8080/'], ['--network', `container:${name}`])).toBe(
      '<h1>hello from lighttpd</h1>',
    );
  }, 600_000);

  it.each([
    ['mariadb', '/usr/sbin/mariadbd', []],
    ['mosquitto', '/usr/sbin/mosquitto', ['--probe-cmd', 'mosquitto_pub -t scratchify/t -m hello -q 1']],
    [
      'lighttpd',
      '/usr/sbin/lighttpd',
      [
        '--probe',
        'http://127.0.0.1:8080/',
        '--trace',
        '/usr/sbin/lighttpd -tt -f /etc/lighttpd/lighttpd.conf',
        '--include',
        '/var/www/html',
      ],
    ],
  ])(
    '%s passes verify --hardened: read-only, capabilities dropped, tmpfs and volumes where it writes',
    async (name, program, flags) => {
      const r = await execa(BIN, ['verify', program, '--base', bases[name], '--hardened', '--json', ...flags], {
        reject: false,
        timeout: 600_000,
      });
      expect(r.exitCode, `${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBe(0);
      const report = JSON.parse(r.stdout) as { hardened: { capAdd: string[]; tmpfs: { path: string }[] } };
      expect(report.hardened.capAdd).toEqual([]);
      expect(report.hardened.tmpfs.map((t) => t.path)).toContain('/tmp');
    },
    600_000,
  );
});
