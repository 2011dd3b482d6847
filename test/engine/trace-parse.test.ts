import { describe, expect, it } from 'vitest';
import { attribute, parseStraceLog } from '../../src/engine/strace-log.js';
import { parseLdDebug } from '../../src/engine/trace.js';
import { splitWords } from '../../src/engine/words.js';

describe('trace logs', () => {
  it("LD_DEBUG=libs,files: the path each object was mapped from, dlopen'ed ones included", () => {
    const log = [
      '         7:\tfile=libgreet.so.1 [0];  needed by /app/bin/greeter [0]',
      '         7:\tfind library=libgreet.so.1 [0]; searching',
      '         7:\t  trying file=/app/bin/../lib/glibc-hwcaps/x86-64-v2/libgreet.so.1',
      '         7:\t  trying file=/app/bin/../lib/libgreet.so.1',
      '         7:\tfile=libgreet.so.1 [0];  generating link map',
      '         7:\tfile=/app/bin/../lib/plugins/hello.so [0];  dynamically loaded by /app/bin/greeter [0]',
      '         7:\tfile=/app/bin/../lib/plugins/hello.so [0];  generating link map',
      '         7:\tfile=libz.so.1 [0];  needed by /app/bin/../lib/plugins/hello.so [0]',
      '         7:\t search cache=/etc/ld.so.cache',
      '         7:\t  trying file=/lib/x86_64-linux-gnu/libz.so.1',
      '         7:\tfile=libz.so.1 [0];  generating link map',
      '         7:\tfile=libmissing.so [0];  needed by /x [0]',
      '         7:\t  trying file=/lib/libmissing.so',
    ].join('\n');
    expect(parseLdDebug(log)).toEqual([
      '/app/bin/../lib/libgreet.so.1',
      '/app/bin/../lib/plugins/hello.so',
      '/lib/x86_64-linux-gnu/libz.so.1',
    ]);
  });

  it('strace -f -y: each path once, with how the run used it; failed calls do not count', () => {
    const log = [
      '7 execve("/usr/sbin/nginx", ["nginx", "-t"], 0x7ffd /* 3 vars */) = 0',
      '7 openat(AT_FDCWD</>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>',
      '7 openat(AT_FDCWD</>, "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
      '8 openat(AT_FDCWD</etc/nginx>, "mime.types", O_RDONLY) = 5</etc/nginx/mime.types>',
      '7 openat(AT_FDCWD</>, "/etc/na\\"me", O_RDONLY) = 4</etc/na"me>',
      '7 openat(AT_FDCWD</>, "/etc/nginx/conf.d", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 6</etc/nginx/conf.d>',
      '7 getdents64(6</usr/share/zoneinfo>, 0x55 /* 73 entries */, 32768) = 2136',
      '7 openat(AT_FDCWD</>, "/var/log/nginx/error.log", O_WRONLY|O_CREAT|O_APPEND, 0644) = 7</var/log/nginx/error.log>',
      '7 newfstatat(AT_FDCWD</>, "/usr/bin/gzip", {st_mode=S_IFREG|0755, st_size=1, ...}, 0) = 0',
      '7 newfstatat(3</etc/ld.so.cache>, "", {st_mode=S_IFREG|0644, ...}, AT_EMPTY_PATH) = 0',
      '7 access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)',
      '7 readlinkat(AT_FDCWD</>, "/etc/localtime", "/usr/share/zoneinfo/Etc/UTC", 4095) = 27',
      '9 openat(AT_FDCWD</tmp>, "../etc/hostname", O_RDONLY <unfinished ...>',
      '7 chdir("/srv") = 0',
      '9 <... openat resumed>) = 3</etc/hostname>',
      '7 mkdir("/tmp/cache", 0700) = 0',
    ].join('\n');
    expect(parseStraceLog(log)).toEqual([
      { path: '/usr/sbin/nginx', use: 'read' },
      { path: '/etc/ld.so.cache', use: 'read' },
      { path: '/etc/nginx/mime.types', use: 'read' },
      { path: '/etc/na"me', use: 'read' },
      { path: '/etc/nginx/conf.d', use: 'dir' },
      { path: '/usr/share/zoneinfo', use: 'dir' },
      { path: '/var/log/nginx/error.log', use: 'written' },
      { path: '/usr/bin/gzip', use: 'read' },
      { path: '/etc/localtime', use: 'read' },
      { path: '/srv', use: 'dir' },
      { path: '/etc/hostname', use: 'read' },
      { path: '/tmp/cache', use: 'written' },
    ]);
  });

  it("what a run creates: a name it makes (mkdir, mknod, rename's and link's new name, a symlink, a unix socket) and a file opened to write", () => {
    const log = [
      '20 openat(AT_FDCWD</var/lib/postgresql/15/main>, "postmaster.pid", O_RDWR|O_CREAT|O_EXCL, 0600) = 3</var/lib/postgresql/15/main/postmaster.pid>',
      '20 bind(7<socket:[1234]>, {sa_family=AF_UNIX, sun_path="/var/run/postgresql/.s.PGSQL.5432"}, 110) = 0',
      '20 bind(8<socket:[1235]>, {sa_family=AF_UNIX, sun_path=@"abstract"}, 12) = 0',
      '20 bind(9<socket:[1236]>, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '20 renameat(AT_FDCWD</data>, "pg_stat_tmp/a.tmp", AT_FDCWD</data>, "pg_stat/a, b.stat") = 0',
      '20 rename("/run/app/x.new", "/run/app/x") = 0',
      '20 linkat(AT_FDCWD</>, "/a", 5</spool>, "b", 0) = 0',
      '20 symlinkat("/target", AT_FDCWD</srv>, "link") = 0',
      '20 symlink("/target", "/srv/other") = 0',
      '20 mknodat(AT_FDCWD</run>, "fifo", S_IFIFO|0600) = 0',
      '20 mkdirat(AT_FDCWD</var/lib/nginx>, "body", 0700) = -1 ENOENT (No such file or directory)',
      '20 openat(AT_FDCWD</>, "/var/lib/postgresql/15/main/base/1/1259", O_RDWR|O_CLOEXEC) = 4</var/lib/postgresql/15/main/base/1/1259>',
      '20 openat(AT_FDCWD</>, "/var/log/app.log", O_WRONLY|O_APPEND) = 5</var/log/app.log>',
      // Relative to a working directory strace did not name: not placed anywhere.
      '20 mkdir("relative", 0700) = 0',
      // What the run made and then looked at stays its own making; what it read and then rewrote was read.
      '21 mkdir("/var/lib/nginx/body", 0700) = 0',
      '21 newfstatat(AT_FDCWD</>, "/var/lib/nginx/body", {st_mode=S_IFDIR|0700, ...}, 0) = 0',
      '21 openat(AT_FDCWD</>, "/etc/app.conf", O_RDONLY) = 3</etc/app.conf>',
      '21 openat(AT_FDCWD</>, "/etc/app.conf", O_WRONLY|O_TRUNC) = 3</etc/app.conf>',
    ].join('\n');
    expect(parseStraceLog(log)).toEqual([
      { path: '/var/lib/postgresql/15/main/postmaster.pid', use: 'written' },
      { path: '/var/run/postgresql/.s.PGSQL.5432', use: 'written' },
      { path: '/data/pg_stat/a, b.stat', use: 'written' },
      { path: '/run/app/x', use: 'written' },
      { path: '/spool/b', use: 'written' },
      { path: '/srv/link', use: 'written' },
      { path: '/srv/other', use: 'written' },
      { path: '/run/fifo', use: 'written' },
      { path: '/var/lib/postgresql/15/main/base/1/1259', use: 'written' },
      { path: '/var/log/app.log', use: 'written' },
      { path: '/var/lib/nginx/body', use: 'written' },
      { path: '/etc/app.conf', use: 'read' },
    ]);
  });

  it('command words split as a shell would, without expanding anything', () => {
    expect(splitWords(`-c 'import json; print("a b")' "x \\"y\\"" plain\\ word $HOME`)).toEqual([
      '-c',
      'import json; print("a b")',
      'x "y"',
      'plain word',
      '$HOME',
    ]);
    expect(splitWords("''")).toEqual(['']);
    expect(() => splitWords("'open")).toThrow(/unterminated ' quote/);
  });

  it('attribution: what only the harness around the program used (sh -c, env) is left out; what the program and its children used is kept', () => {
    const log = [
      '10 execve("/bin/sh", ["sh", "-c", "git init /tmp/a && git status"], 0x7ff /* 3 vars */) = 0',
      '10 openat(AT_FDCWD</>, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3</usr/lib/x86_64-linux-gnu/libc.so.6>',
      '10 openat(AT_FDCWD</>, "/etc/profile.d", O_RDONLY|O_DIRECTORY) = 3</etc/profile.d>',
      // The child's first lines can come before its parent's clone returns.
      '11 execve("/usr/local/bin/git", ["git", "init"], 0x7ff /* 3 vars */) = -1 ENOENT (No such file or directory)',
      '11 execve("/usr/bin/git", ["git", "init", "/tmp/a"], 0x7ff /* 3 vars */) = 0',
      '10 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 11',
      '11 openat(AT_FDCWD</>, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3</usr/lib/x86_64-linux-gnu/libc.so.6>',
      '11 openat(AT_FDCWD</>, "/usr/share/git-core/templates", O_RDONLY|O_DIRECTORY) = 4</usr/share/git-core/templates>',
      // git runs a shell of its own (an alias): that shell is the program's, and kept.
      '11 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 12',
      '12 execve("/bin/sh", ["sh", "-c", "echo hi"], 0x7ff /* 3 vars */) = 0',
      '12 openat(AT_FDCWD</>, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>',
      '10 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 13',
      '13 openat(AT_FDCWD</>, "/usr/bin/env-helper", O_RDONLY) = 3</usr/bin/env-helper>',
    ].join('\n');
    const isGit = (p: string) => p === '/usr/bin/git';
    const { paths, leftOut } = attribute(log, isGit);
    const kept = paths.map((p) => p.path);
    expect(kept).toEqual(
      expect.arrayContaining([
        '/usr/bin/git',
        '/lib/x86_64-linux-gnu/libc.so.6',
        '/usr/share/git-core/templates',
        '/bin/sh',
        '/etc/passwd',
      ]),
    );
    expect(leftOut.map((p) => p.path).sort()).toEqual(['/etc/profile.d', '/usr/bin/env-helper']);
    // A run that never execs the program keeps everything; so does no attribution at all.
    expect(attribute(log, (p) => p === '/usr/bin/tar').leftOut).toEqual([]);
    expect(parseStraceLog(log).map((p) => p.path)).toContain('/etc/profile.d');
  });
});
