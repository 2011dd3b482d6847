import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argumentAdditions, namedPaths } from '../../src/generate/sources.js';
import { openDirRoot } from '../../src/rootfs/open.js';

describe('paths the command line names', () => {
  it.each([
    ['/etc/app.conf', ['/etc/app.conf']],
    ['--config=/etc/app.conf', ['/etc/app.conf']],
    ['config_file=/etc/postgresql/15/main/postgresql.conf', ['/etc/postgresql/15/main/postgresql.conf']],
    ['--defaults-file=/etc/mysql/my.cnf', ['/etc/mysql/my.cnf']],
    ['-f/etc/app.conf', ['/etc/app.conf']],
    ["hba_file='/etc/pg/hba.conf'", ['/etc/pg/hba.conf']],
    ['-cp', []],
    ['/app/lib/a.jar:/app/classes', ['/app/lib/a.jar', '/app/classes']],
    ['--upstream=http://example.org/x', []],
    ['listen_addresses=*', []],
    ['-vvv', []],
  ])('%s names %j', (arg, paths) => {
    expect(namedPaths(arg)).toEqual(paths);
  });

  it('carries each form of a named file: -c name=/path, --name=/path, --name /path, -f/path, name=/path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-args-'));
    mkdirSync(join(dir, 'etc/pg/conf.d'), { recursive: true });
    for (const f of ['pg.conf', 'hba.conf', 'ident.conf', 'my.cnf', 'redis.conf']) writeFileSync(join(dir, 'etc', f), 'x\n');
    const root = openDirRoot(dir);
    const args = [
      '-c',
      'config_file=/etc/pg.conf',
      '--hba=/etc/hba.conf',
      '--ident',
      '/etc/ident.conf',
      '-f/etc/my.cnf',
      '/etc/redis.conf',
    ];
    const copied = argumentAdditions(root, args).copy.map((c) => c.path);
    expect(copied).toEqual(['/etc/pg.conf', '/etc/hba.conf', '/etc/ident.conf', '/etc/my.cnf', '/etc/redis.conf']);
    expect(argumentAdditions(root, ['include_dir=/etc/pg/conf.d']).copy).toEqual([
      { path: '/etc/pg/conf.d', reason: 'directory named on the command line (include_dir=/etc/pg/conf.d)' },
    ]);
  });
});
