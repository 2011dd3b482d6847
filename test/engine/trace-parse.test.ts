import { describe, expect, it } from 'vitest';
import { parseLdDebug, parseStrace } from '../../src/engine/trace.js';

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

  it('strace: successful opens and execs only', () => {
    const log = [
      'execve("/usr/sbin/nginx", ["nginx", "-t"], 0x7ffd /* 3 vars */) = 0',
      'openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3',
      'openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
      '[pid    12] openat(AT_FDCWD, "/etc/nginx/mime.types", O_RDONLY) = 5',
      'openat(AT_FDCWD, "/etc/na\\"me", O_RDONLY) = 4',
    ].join('\n');
    expect(parseStrace(log)).toEqual(['/usr/sbin/nginx', '/etc/ld.so.cache', '/etc/nginx/mime.types', '/etc/na"me']);
  });
});
