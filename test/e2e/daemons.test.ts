import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, servicesBase } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/*
 * Daemons from Debian that start as root and switch to their own account: unbound to the one compiled in
 * (`unbound`), BIND's named to the one on its command line (`-u bind`). Each is cut into a scratch image from
 * an image the user built, started there, and must answer a DNS query as that account. The accounts come
 * from the base's /etc/passwd, which scratchify carries (without hashes).
 */
const FILES: Record<string, string> = {
  'etc/unbound/unbound.conf': `server:
  interface: 127.0.0.1
  port: 15353
  do-daemonize: no
  use-syslog: no
  logfile: ""
  pidfile: ""
  chroot: ""
  do-ip6: no
  local-zone: "test." static
  local-data: "a.test. IN A 10.1.2.3"
remote-control:
  control-enable: no
`,
  'etc/bind/named.conf': `options {
  directory "/var/cache/bind";
  listen-on port 15354 { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  pid-file none;
  session-keyfile "/var/cache/bind/session.key";
};
zone "test" { type primary; file "/etc/bind/db.test"; };
`,
  'etc/bind/db.test': `$TTL 60
@   IN SOA ns.test. admin.test. 1 60 60 60 60
@   IN NS  ns.test.
ns  IN A   127.0.0.1
b   IN A   10.4.5.6
`,
};

const DAEMONS = [
  {
    name: 'unbound',
    program: '/usr/sbin/unbound',
    flags: ['--include', '/etc/unbound'],
    args: ['-d'],
    port: 15353,
    query: 'a.test',
    address: '10.1.2.3',
    account: 'unbound',
  },
  {
    name: 'named',
    program: '/usr/sbin/named',
    flags: ['--include', '/etc/bind', '--include', '/var/cache/bind'],
    args: ['-g', '-u', 'bind'],
    port: 15354,
    query: 'b.test',
    address: '10.4.5.6',
    account: 'bind',
  },
];

/** Asks the server on loopback until it answers (bounded: 10 s), as a client on the host would. */
async function ask(port: number, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      return await r.resolve4(name);
    } catch (e) {
      last = e;
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  throw last;
}

describe.runIf(run)('daemons that switch to their own account, each started in its scratch image', () => {
  const userImage = 'scratchify-test/services-user:e2e';
  let passwd: string;

  beforeAll(async () => {
    const base = await servicesBase();
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-services-ctx-'));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(ctx, 'root', p)), { recursive: true });
      writeFileSync(join(ctx, 'root', p), text);
    }
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base.ref}\nCOPY root/ /\n`);
    await dockerBuild(ctx, userImage);
    passwd = (await execa(DOCKER, ['run', '--rm', '--network', 'none', '--entrypoint', 'cat', userImage, '/etc/passwd'])).stdout;
  }, 900_000);

  for (const d of DAEMONS) {
    it(`${d.name} starts as root, switches to ${d.account} and answers`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `scratchify-${d.name}-`));
      await execa(BIN, [d.program, '--base', userImage, ...d.flags, '--user', 'root', '-o', join(dir, 'Dockerfile'), '--', ...d.args]);
      expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).not.toMatch(/^RUN /m);
      const tag = `scratchify-test/${d.name}-scratch:e2e`;
      await dockerBuild(dir, tag);
      const name = `scratchify-e2e-${d.name}-${process.pid}`;
      await execa(DOCKER, ['run', '-d', '--name', name, '--network', 'host', tag]);
      try {
        const answer = await ask(d.port, d.query).catch(async (e) => {
          throw new Error(
            `${d.name} did not answer (${e}); its log:\n${(await execa(DOCKER, ['logs', name], { all: true, reject: false })).all}`,
          );
        });
        expect(answer).toEqual([d.address]);
        const pid = (await execa(DOCKER, ['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim();
        const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
        const expected = passwd
          .split('\n')
          .find((l) => l.startsWith(`${d.account}:`))!
          .split(':')[2];
        expect(uid).toBe(expected);
      } finally {
        await execa(DOCKER, ['rm', '-f', name]);
      }
    }, 300_000);
  }
});
