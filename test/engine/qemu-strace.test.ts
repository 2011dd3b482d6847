import { describe, expect, it } from 'vitest';
import { parseQemuStrace, qemuRecords } from '../../src/engine/qemu-strace.js';

/** Lines as qemu-user 7.2 writes them (QEMU_STRACE=1) for `sh -c 'cat /etc/debian_version; cd /etc && ls nginx'`. */
const LOG = [
  "WARNING: The requested image's platform (linux/arm64) does not match the detected host platform",
  '1 openat(AT_FDCWD,"/etc/ld.so.cache",O_RDONLY|O_CLOEXEC) = 3',
  '1 openat(AT_FDCWD,"/lib/aarch64-linux-gnu/libc.so.6",O_RDONLY|O_CLOEXEC) = 3',
  '1 faccessat(AT_FDCWD,"/etc/ld.so.preload",R_OK,AT_SYMLINK_NOFOLLOW|0x6474e452) = -1 errno=2 (No such file or directory)',
  '1 clone(CLONE_VM|CLONE_VFORK|0x11,child_stack=0x0000005502833930,parent_tidptr=0x0000000000000000,tls=0x0000000000000000,child_tidptr=0xfffffffe7fffffff) = 8',
  // A successful execve prints no result: the new program's own calls follow on the same line.
  '8 execve("/usr/bin/cat",{"cat","/etc/debian_version",NULL})8 brk(NULL) = 0x0000005500021000',
  '8 openat(AT_FDCWD,"/etc/debian_version",O_RDONLY) = 3',
  'bookworm/sid',
  '1 chdir("/etc") = 0',
  '1 clone(CLONE_VM|CLONE_VFORK|0x11,child_stack=0x00000055028338c0,parent_tidptr=0x0000000000000000,tls=0x0000000000000000,child_tidptr=0xfffffffe7fffffff) = 11',
  '11 execve("/usr/bin/ls",{"ls","nginx",NULL}) = 0',
  '11 openat(AT_FDCWD,"nginx",O_RDONLY|O_DIRECTORY|O_NONBLOCK|O_CLOEXEC) = 3',
  '11 getdents64(3,0x5500047640,32768) = 600',
  '11 openat(AT_FDCWD,"/var/log/app.log",O_WRONLY|O_CREAT|O_TRUNC,0666) = 4',
  '--- SIGCHLD {si_signo=SIGCHLD, si_code=1, si_pid=11, si_uid=0, si_status=0, si_utime=2, si_stime=1} ---',
].join('\n');

describe("qemu-user's syscall log (QEMU_STRACE=1)", () => {
  it('splits records that share a line, and takes a result only where one was printed', () => {
    const records = qemuRecords(LOG);
    expect(records.find((r) => r.call === 'execve' && r.pid === '8')).toMatchObject({ result: undefined });
    expect(records.find((r) => r.call === 'brk' && r.pid === '8')).toMatchObject({ result: '0x0000005500021000' });
  });

  it('resolves relative paths from the working directory of the process, lists through its descriptors, attributes to the program', () => {
    const { paths, leftOut, stderr } = parseQemuStrace(LOG, (p) => p === '/usr/bin/ls');
    const used = Object.fromEntries(paths.map((p) => [p.path, p.use]));
    expect(used['/etc/nginx']).toBe('dir');
    expect(used['/usr/bin/ls']).toBe('read');
    expect(used['/var/log/app.log']).toBe('written');
    expect(used['/etc/ld.so.preload']).toBeUndefined();
    // The shell and cat ran around ls, never it: what only they used is left out.
    expect(leftOut.map((p) => p.path)).toEqual(expect.arrayContaining(['/usr/bin/cat', '/etc/debian_version']));
    expect(stderr).toContain('bookworm/sid');
    expect(stderr).not.toMatch(/openat|SIGCHLD/);
  });
});
