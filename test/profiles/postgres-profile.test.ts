import { chownSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogLocales, postgresProfile } from '../../src/profiles/postgres.js';
import { parsePgConf, pgArgs, readPgConf } from '../../src/profiles/postgres-conf.js';
import { tmpfilesDirs, unitDirs } from '../../src/profiles/service-dirs.js';
import { openDirRoot } from '../../src/rootfs/open.js';

/** A root laid out as Debian's postgresql-15 lays it out, with the files the profile reads (their bytes need not be real). */
function debianRoot(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-pg-'));
  const put = (p: string, data: string | Buffer) => {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), data);
  };
  const varlena = (s: string) => Buffer.concat([Buffer.from([((s.length + 1) << 1) + 1]), Buffer.from(s)]);
  const base = {
    '/usr/lib/postgresql/15/bin/postgres': 'x',
    '/usr/lib/postgresql/15/lib/plpgsql.so': 'x',
    '/usr/lib/postgresql/15/lib/dict_snowball.so': 'x',
    '/usr/lib/postgresql/15/lib/llvmjit.so': 'x',
    '/usr/lib/postgresql/15/lib/llvmjit_types.bc': 'x',
    '/usr/share/postgresql/15/timezonesets/Default': 'x',
    '/usr/lib/locale/C.utf8/LC_CTYPE': 'x',
    '/usr/share/zoneinfo/Etc/UTC': 'x',
    '/etc/ssl/private/snakeoil.key': 'x',
    '/etc/postgresql/15/main/postgresql.conf': [
      "data_directory = '/var/lib/postgresql/15/main'   # a comment",
      "hba_file = '/etc/postgresql/15/main/pg_hba.conf'",
      "external_pid_file = '/var/run/postgresql/15-main.pid'",
      "unix_socket_directories = '/var/run/postgresql'",
      'ssl = on',
      "ssl_key_file = '/etc/ssl/private/snakeoil.key'",
      "lc_messages = 'C.UTF-8'",
      "timezone = 'Etc/UTC'",
      "include_dir = 'conf.d'",
      "include_if_exists = 'missing.conf'",
    ].join('\n'),
    '/etc/postgresql/15/main/pg_hba.conf': 'local all all peer\n',
    '/etc/postgresql/15/main/conf.d/10-port.conf': 'port 5433\n',
    '/var/lib/postgresql/15/main/PG_VERSION': '15\n',
    '/var/lib/postgresql/15/main/pg_ident.conf': '',
    '/var/lib/postgresql/15/main/global/1262': Buffer.concat([
      Buffer.alloc(40),
      varlena('en_US.UTF-8'),
      Buffer.alloc(8),
      varlena('C.UTF-8'),
    ]),
    ...files,
  };
  for (const [p, d] of Object.entries(base)) put(p, d);
  return dir;
}

const ctx = (dir: string, args: string[]) => ({
  root: openDirRoot(dir),
  program: '/usr/lib/postgresql/15/bin/postgres',
  real: '/usr/lib/postgresql/15/bin/postgres',
  args,
});

describe('PostgreSQL, read and never run', () => {
  it('postgresql.conf: both forms of a setting, quotes, comments, case', () => {
    expect(parsePgConf("Port = 5432 # x\nshared_buffers 128MB\nsearch_path = '\"$user\", public'\nx = 'it''s'\n#y = 1\n", 'f')).toEqual([
      { name: 'port', value: '5432', from: 'f' },
      { name: 'shared_buffers', value: '128MB', from: 'f' },
      { name: 'search_path', value: '"$user", public', from: 'f' },
      { name: 'x', value: "it's", from: 'f' },
    ]);
  });

  it('runs as the owner of its data directory (PostgreSQL refuses one another user owns), root-owned data says nothing', () => {
    const dir = debianRoot();
    const args = ['-c', 'config_file=/etc/postgresql/15/main/postgresql.conf'];
    expect(postgresProfile(ctx(dir, args))?.runsAs).toBeUndefined();
    chownSync(join(dir, 'var/lib/postgresql/15/main'), 102, 104);
    expect(postgresProfile(ctx(dir, args))?.runsAs).toEqual({ uid: 102, why: 'it owns the data directory /var/lib/postgresql/15/main' });
  });

  it('its command line: -D, -c name=value, -cname=value, --name=value and -k, in order', () => {
    expect(pgArgs(['-D', '/data', '-c', 'config_file=/etc/pg.conf', '-cport=1', '--shared-buffers=1MB', '-k', '/tmp'])).toEqual({
      dataDir: '/data',
      settings: [
        { name: 'config_file', value: '/etc/pg.conf', from: 'the command line' },
        { name: 'port', value: '1', from: 'the command line' },
        { name: 'shared_buffers', value: '1MB', from: 'the command line' },
        { name: 'unix_socket_directories', value: '/tmp', from: 'the command line' },
      ],
    });
  });

  it('Debian\'s cluster from "-c config_file=...": its files, data directory, socket and pid directories, $libdir without the JIT, share data, locales, time zone', () => {
    const p = postgresProfile(ctx(debianRoot(), ['-c', 'config_file=/etc/postgresql/15/main/postgresql.conf']));
    const files = p.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        '/etc/postgresql/15/main/postgresql.conf',
        '/etc/postgresql/15/main/conf.d/10-port.conf',
        '/etc/postgresql/15/main/pg_hba.conf',
        '/var/lib/postgresql/15/main/pg_ident.conf',
        '/etc/ssl/private/snakeoil.key',
        '/usr/share/zoneinfo/Etc/UTC',
      ]),
    );
    expect(p.trees.map((t) => t.path)).toEqual(
      expect.arrayContaining([
        '/var/lib/postgresql/15/main',
        '/usr/share/postgresql/15',
        '/usr/lib/locale/C.utf8',
        '/etc/postgresql/15/main/conf.d',
      ]),
    );
    expect(p.writable.map((w) => w.path).sort()).toEqual(['/var/run/postgresql', '/var/run/postgresql']);
    expect(p.dlopen.map((d) => d.path).sort()).toEqual([
      '/usr/lib/postgresql/15/lib/dict_snowball.so',
      '/usr/lib/postgresql/15/lib/plpgsql.so',
    ]);
    expect(p.notes.join('\n')).toContain('the JIT (llvmjit and libLLVM) left out');
  });

  it('jit = on brings the JIT module; the data directory alone (-D) finds postgresql.conf there', () => {
    const dir = debianRoot({ '/srv/pg/postgresql.conf': 'jit = on\n', '/srv/pg/pg_hba.conf': '' });
    const p = postgresProfile(ctx(dir, ['-D', '/srv/pg']));
    expect(p.files.map((f) => f.path)).toEqual(['/srv/pg/postgresql.conf', '/srv/pg/pg_hba.conf', '/srv/pg/pg_ident.conf']);
    expect(p.dlopen.map((d) => d.path)).toContain('/usr/lib/postgresql/15/lib/llvmjit.so');
  });

  it('an include loop and a missing configuration file are clear errors; a missing data directory is a warning', () => {
    const loop = debianRoot({ '/etc/pg/a.conf': "include 'b.conf'\n", '/etc/pg/b.conf': "include 'a.conf'\n" });
    expect(() => readPgConf(openDirRoot(loop), '/etc/pg/a.conf')).toThrow(/includes itself/);
    expect(() => postgresProfile(ctx(loop, ['-c', 'config_file=/etc/pg/a.conf']))).toThrow(/includes itself/);
    const none = postgresProfile(ctx(debianRoot(), []));
    expect(none.warnings.join('\n')).toMatch(/no data directory/);
    const absent = postgresProfile(ctx(debianRoot(), ['-c', 'config_file=/etc/nope.conf']));
    expect(absent.warnings.join('\n')).toMatch(/\/etc\/nope.conf: PostgreSQL's configuration file is not in/);
  });

  it("the catalog's locale names, only where a varlena header frames them", () => {
    const varlena = (s: string) => Buffer.concat([Buffer.from([((s.length + 1) << 1) + 1]), Buffer.from(s)]);
    const page = Buffer.concat([Buffer.from('xx de_DE.UTF-8 yy'), varlena('de_DE.UTF-8'), varlena('C.UTF-8'), varlena('C')]);
    expect(catalogLocales(page)).toEqual(['de_DE.UTF-8', 'C.UTF-8']);
  });
});

describe("the base's service conventions", () => {
  it('tmpfiles.d directories with mode and owner; a systemd unit that starts the program gives its RuntimeDirectory=', () => {
    const dir = debianRoot({
      '/usr/lib/tmpfiles.d/postgresql-common.conf':
        '# sockets\nd /run/postgresql 2775 postgres postgres - -\nd /var/log/postgresql 1775 root postgres - -\nf /run/x 0644\n',
      '/etc/tmpfiles.d/postgresql-common.conf': 'd /run/postgresql 0700 postgres postgres - -\n',
      '/lib/systemd/system/redis-server.service':
        '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\nUser=redis\nGroup=redis\nRuntimeDirectory=redis\nRuntimeDirectoryMode=2755\n',
      '/lib/systemd/system/other.service': '[Service]\nExecStart=/usr/bin/other\nRuntimeDirectory=other\n',
      '/usr/bin/redis-check-rdb': 'x',
    });
    symlinkSync('redis-check-rdb', join(dir, 'usr/bin/redis-server'));
    const root = openDirRoot(dir);
    // /etc's file of the same name replaces /usr/lib's, as systemd-tmpfiles reads them.
    expect(tmpfilesDirs(root)).toEqual([
      {
        path: '/run/postgresql',
        mode: 0o700,
        user: 'postgres',
        group: 'postgres',
        reason: 'tmpfiles.d/postgresql-common.conf creates it at boot',
      },
    ]);
    expect(unitDirs(root, '/usr/bin/redis-check-rdb', '/usr/bin/redis-check-rdb')).toEqual([
      {
        path: '/run/redis',
        mode: 0o2755,
        user: 'redis',
        group: 'redis',
        reason: 'RuntimeDirectory=redis in redis-server.service, which starts it',
      },
    ]);
  });
});
