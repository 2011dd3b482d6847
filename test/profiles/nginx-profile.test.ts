import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nginxProfile } from '../../src/profiles/nginx.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';

const CONFIGURE =
  'configure arguments: --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf --error-log-path=/var/log/nginx/error.log --pid-path=/run/nginx.pid --http-client-body-temp-path=/var/lib/nginx/body\0';

/** A root holding a stand-in nginx binary (only its configure string is read) and the given files. */
function nginxRoot(files: Record<string, string>): Root {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-nginx-profile-'));
  const all: Record<string, string> = { '/usr/sbin/nginx': `\x7fELF...${CONFIGURE}`, '/usr/share/nginx/html/index.html': 'hi', ...files };
  for (const [p, text] of Object.entries(all)) {
    mkdirSync(dirname(join(d, p)), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return new Root(new DirBackend(d));
}

const profile = (files: Record<string, string>) =>
  nginxProfile({ root: nginxRoot(files), program: '/usr/sbin/nginx', real: '/usr/sbin/nginx' });

describe('nginx profile: every directive that names a file or directory', () => {
  it('brings the files of ssl, auth, geoip and xslt directives, relative to the configuration directory', () => {
    const names = [
      'ssl_certificate',
      'ssl_certificate_key',
      'ssl_trusted_certificate',
      'ssl_dhparam',
      'auth_basic_user_file',
      'geoip_country',
      'xslt_stylesheet',
      'proxy_ssl_certificate',
    ];
    const files: Record<string, string> = {};
    const lines = names.map((n) => {
      files[`/etc/nginx/f/${n}`] = n;
      return `    ${n} f/${n};`;
    });
    files['/etc/nginx/nginx.conf'] = `http {\n  server {\n    root /srv/www;\n${lines.join('\n')}\n  }\n}\n`;
    files['/srv/www/index.html'] = 'x';
    const p = profile(files);
    for (const n of names) expect(p.files.map((f) => f.path)).toContain(`/etc/nginx/f/${n}`);
    expect(p.warnings).toEqual([]);
  });

  it('worker-writable temp and cache paths, log directories; variables cut back to the directory before them, with a warning', () => {
    const p = profile({
      '/etc/nginx/nginx.conf': [
        'http {',
        '  proxy_cache_path /var/cache/nginx/proxy levels=1:2 keys_zone=c:1m;',
        '  fastcgi_temp_path /var/lib/nginx/fcgi;',
        '  access_log /var/log/nginx/$host/access.log;',
        '  server { root /srv/vhosts/$host/public; ssl_certificate /etc/nginx/certs/$ssl_server_name.pem; }',
        '}',
      ].join('\n'),
      '/srv/vhosts/a.example/public/index.html': 'a',
      '/etc/nginx/certs/a.example.pem': 'cert',
    });
    expect(p.writable).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/var/cache/nginx/proxy', owner: 'worker' }),
        expect.objectContaining({ path: '/var/lib/nginx/fcgi', owner: 'worker' }),
        expect.objectContaining({ path: '/var/log/nginx' }),
      ]),
    );
    expect(p.trees.map((t) => t.path)).toEqual(expect.arrayContaining(['/srv/vhosts', '/etc/nginx/certs']));
    expect(p.warnings.join('\n')).toMatch(
      /root \/srv\/vhosts\/\$host\/public holds variables; copying \/srv\/vhosts, the directory before them/,
    );
    expect(p.warnings.join('\n')).toMatch(
      /access_log \/var\/log\/nginx\/\$host\/access.log holds variables; copying \/var\/log\/nginx, the directory/,
    );
    expect(p.warnings.join('\n')).toMatch(/ssl_certificate .* holds variables; copying \/etc\/nginx\/certs, the directory/);
    expect([...p.writable, ...p.trees].filter((w) => w.path.includes('$'))).toEqual([]);
  });

  it('map, types and geo blocks include files (copied); directives in an included file keep the context of the include', () => {
    const p = profile({
      '/etc/nginx/nginx.conf':
        'http {\n  include /etc/nginx/servers.conf;\n  map $uri $m { include /etc/nginx/map.conf; }\n  types { include /etc/nginx/extra.types; }\n}\n',
      '/etc/nginx/servers.conf': 'server { location / { } }\n',
      '/etc/nginx/map.conf': '/a 1;\n',
      '/etc/nginx/extra.types': 'text/x-foo foo;\n',
    });
    expect(p.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['/etc/nginx/map.conf', '/etc/nginx/extra.types', '/etc/nginx/servers.conf']),
    );
    // The server in servers.conf sits in http and sets no root: nginx serves its default, html under the prefix.
    expect(p.trees.map((t) => t.path)).toContain('/usr/share/nginx/html');
  });

  it('no default root when every server has one, from itself or from http', () => {
    const own = profile({ '/etc/nginx/nginx.conf': 'http { server { root /srv/a; location / { } } }\n', '/srv/a/i': 'x' });
    const inherited = profile({ '/etc/nginx/nginx.conf': 'http { root /srv/a; server { location / { } } }\n', '/srv/a/i': 'x' });
    for (const p of [own, inherited]) expect(p.trees.map((t) => t.path)).not.toContain('/usr/share/nginx/html');
  });

  it('a named file that the base lacks is a warning that nginx will not start', () => {
    const p = profile({ '/etc/nginx/nginx.conf': 'http { server { root /srv; ssl_dhparam /etc/nginx/dh.pem; } }\n', '/srv/i': 'x' });
    expect(p.warnings.join('\n')).toMatch(/ssl_dhparam \/etc\/nginx\/dh.pem is not in .*nginx will fail to start/);
  });

  it('alias names a directory or one file; both are carried, and a missing one is a warning about the 404', () => {
    const p = profile({
      '/etc/nginx/nginx.conf': [
        'http { server { root /srv/site;',
        '  location /cv { alias /usr/share/nginx/resume.pdf; default_type application/pdf; }',
        '  location /img/ { alias /srv/images/; }',
        '  location /gone { alias /srv/gone.pdf; }',
        '} }',
      ].join('\n'),
      '/srv/site/index.html': 'x',
      '/usr/share/nginx/resume.pdf': '%PDF-1.4',
      '/srv/images/a.png': 'png',
    });
    expect(p.files).toContainEqual(
      expect.objectContaining({ path: '/usr/share/nginx/resume.pdf', reason: expect.stringMatching(/served file \(alias in/) }),
    );
    expect(p.trees.map((t) => t.path)).toEqual(expect.arrayContaining(['/srv/site', '/srv/images']));
    expect(p.warnings.join('\n')).toMatch(/alias \/srv\/gone.pdf is not in .*nginx will answer 404 there/);
  });

  it('keys of map and geo blocks are data, not directives; working_directory and perl_modules are carried', () => {
    const p = profile({
      '/etc/nginx/nginx.conf': [
        'working_directory /var/lib/nginx/core;',
        'http { perl_modules perl/lib; perl_require App.pm;',
        '  map $uri $target { root /nowhere; alias /nothere; }',
        '  geo $remote_addr $g { default 0; }',
        '  server { root /srv/a; } }',
      ].join('\n'),
      '/srv/a/i': 'x',
      '/etc/nginx/perl/lib/App.pm': '1;',
    });
    expect(p.warnings).toEqual([]);
    expect(p.trees.map((t) => t.path)).not.toContain('/nowhere');
    expect(p.trees.map((t) => t.path)).toContain('/etc/nginx/perl/lib');
    expect(p.writable).toContainEqual(expect.objectContaining({ path: '/var/lib/nginx/core', owner: 'worker' }));
  });
});
