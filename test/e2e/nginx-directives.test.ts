import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { DOCKER, IN_CI, NGINX_PACKAGES, baseTarball, dockerAnswers, dockerBuild, ensureImage, imageFiles } from '../helpers/engine.js';

const run = (await dockerAnswers()) || IN_CI;

/*
 * A configuration that names a file or directory through every kind of directive the nginx profile knows,
 * each kept outside /etc/nginx (which is copied whole anyway), in an image built by the user. The scratch
 * image must hold each, pass nginx -t, and answer every request exactly as the image it was cut from.
 */
const CONF = `user www-data;
include /etc/nginx/modules-enabled/*.conf;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  geoip_country /usr/share/GeoIP/GeoIP.dat;
  map $uri $mapped { default none; include /opt/web/map.conf; }
  access_log /var/log/nginx/$server_port.access.log;
  proxy_cache_path /var/cache/nginx/proxy keys_zone=c:1m;
  server {
    listen 127.0.0.1:18080;
    listen 127.0.0.1:18443 ssl;
    ssl_certificate /etc/ssl/certs/ssl-cert-snakeoil.pem;
    ssl_certificate_key /etc/ssl/private/ssl-cert-snakeoil.key;
    ssl_trusted_certificate /etc/ssl/certs/ssl-cert-snakeoil.pem;
    ssl_dhparam /opt/web/dhparam.pem;
    root /srv/site;
    error_page 404 /errors/404.html;
    location /errors/ { root /srv; internal; }
    location /private/ { auth_basic "private"; auth_basic_user_file /opt/web/htpasswd; }
    location /spa/ { try_files $uri /spa/fallback.html; }
    location /xml/ { xslt_stylesheet /opt/web/page.xslt; xslt_types text/xml; }
    location /typed/ { types { include /opt/web/extra.types; } }
    location /map { return 200 "mapped=$mapped country=[$geoip_country_code]\\n"; }
    location /vhost/ { root /srv/vhosts/$server_port; }
  }
}
`;

const SITE: Record<string, string> = {
  'etc/nginx/nginx.conf': CONF,
  'opt/web/map.conf': '/map yes;\n',
  'opt/web/extra.types': 'text/x-foo foo;\n',
  'opt/web/page.xslt': `<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/page"><html><body>transformed <xsl:value-of select="title"/></body></html></xsl:template>
</xsl:stylesheet>
`,
  'srv/site/index.html': 'site index\n',
  'srv/site/private/index.html': 'private page\n',
  'srv/site/spa/fallback.html': 'spa fallback\n',
  'srv/site/xml/page.xml': '<?xml version="1.0"?>\n<page><title>hello</title></page>\n',
  'srv/site/typed/a.foo': 'foo file\n',
  'srv/errors/404.html': 'custom not found\n',
  'srv/vhosts/18080/vhost/index.html': 'vhost by port\n',
};

/** Files the configuration names, each of which the scratch image must hold. */
const NAMED = [
  '/etc/ssl/certs/ssl-cert-snakeoil.pem',
  '/etc/ssl/private/ssl-cert-snakeoil.key',
  '/opt/web/dhparam.pem',
  '/opt/web/htpasswd',
  '/usr/share/GeoIP/GeoIP.dat',
  '/opt/web/page.xslt',
  '/opt/web/map.conf',
  '/opt/web/extra.types',
  '/srv/errors/404.html',
  '/srv/site/spa/fallback.html',
  '/srv/site/index.html',
  '/srv/vhosts/18080/vhost/index.html',
];

const REQUESTS: { path: string; auth?: string }[] = [
  { path: '/' },
  { path: '/nothing-here' },
  { path: '/private/' },
  { path: '/private/', auth: 'u:p' },
  { path: '/spa/deep/link' },
  { path: '/xml/page.xml' },
  { path: '/typed/a.foo' },
  { path: '/map' },
  { path: '/vhost/' },
];

async function answers(): Promise<string[]> {
  const out: string[] = [];
  for (const r of REQUESTS) {
    const headers = r.auth ? { authorization: `Basic ${Buffer.from(r.auth).toString('base64')}` } : undefined;
    const res = await fetch(`http://127.0.0.1:18080${r.path}`, { headers });
    out.push(`${r.path}${r.auth ? ' (auth)' : ''}: ${res.status} ${res.headers.get('content-type')} ${(await res.text()).trim()}`);
  }
  out.push(
    `https: ${await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port: 18443, path: '/', rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
      })
        .on('error', reject)
        .end();
    })}`,
  );
  return out;
}

/** Starts the image on the host network, waits for it to answer, collects the answers and what it wrote. */
async function serve(image: string): Promise<{ answers: string[]; wrote: string }> {
  const name = `scratchify-e2e-directives-${process.pid}`;
  await execa(DOCKER, ['run', '-d', '--name', name, '--network', 'host', image]);
  try {
    for (let i = 0; i < 50; i++) {
      try {
        await fetch('http://127.0.0.1:18080/');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const got = await answers();
    const wrote = (await execa(DOCKER, ['diff', name])).stdout;
    return { answers: got, wrote };
  } finally {
    await execa(DOCKER, ['rm', '-f', name]);
  }
}

describe.runIf(run)('nginx: every directive that names a file, in an image the user built', () => {
  const userImage = 'scratchify-test/nginx-directives:e2e';
  const tag = 'scratchify-test/nginx-directives-scratch:e2e';
  let dir: string;
  let json: { warnings: string[] };

  beforeAll(async () => {
    const tarball = await baseTarball('nginx-full-bookworm', 'bookworm', [...NGINX_PACKAGES, 'geoip-database', 'ssl-cert']);
    await ensureImage(DOCKER, 'scratchify-test/nginx-full:bookworm', tarball);
    const ctx = mkdtempSync(join(tmpdir(), 'scratchify-directives-ctx-'));
    for (const [p, text] of Object.entries(SITE)) {
      mkdirSync(dirname(join(ctx, 'root', p)), { recursive: true });
      writeFileSync(join(ctx, 'root', p), text);
    }
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM scratchify-test/nginx-full:bookworm',
        'COPY root/ /',
        "RUN mkdir -p /var/cache/nginx && openssl dhparam -dsaparam -out /opt/web/dhparam.pem 2048 2>/dev/null && printf 'u:{PLAIN}p\\n' > /opt/web/htpasswd",
        'ENTRYPOINT ["/usr/sbin/nginx", "-g", "daemon off;"]',
        '',
      ].join('\n'),
    );
    await dockerBuild(ctx, userImage);
    dir = mkdtempSync(join(tmpdir(), 'scratchify-directives-'));
    const r = await execa(BIN, ['/usr/sbin/nginx', '--base', userImage, '-o', join(dir, 'Dockerfile'), '--json']);
    json = JSON.parse(r.stdout);
    await dockerBuild(dir, tag);
  }, 900_000);

  it('holds every file the configuration names', async () => {
    const files = await imageFiles(tag);
    for (const p of NAMED) expect(files.has(p), p).toBe(true);
    // The key's directory keeps the base's 0710 (COPY alone would have made it 0755).
    expect(files.get('/etc/ssl/private')).toBe('drwx--x---');
  });

  it('warns where a path holds variables, naming the directory it copied instead', () => {
    expect(json.warnings.join('\n')).toMatch(/root \/srv\/vhosts\/\$server_port holds variables; copying \/srv\/vhosts/);
    expect(json.warnings.join('\n')).toMatch(
      /access_log \/var\/log\/nginx\/\$server_port.access.log holds variables; copying \/var\/log\/nginx/,
    );
  });

  it('nginx -t passes, and every request is answered as by the image it was cut from', async () => {
    const t = await execa(DOCKER, ['run', '--rm', '--network', 'none', tag, '-t'], { reject: false });
    expect(t.stderr).toContain('test is successful');
    const base = await serve(userImage);
    const scratch = await serve(tag);
    expect(base.answers.join('\n')).toContain('/xml/page.xml: 200 text/html');
    expect(base.answers.join('\n')).toContain('/private/: 401');
    expect(scratch.answers).toEqual(base.answers);
    // Logs and pid land where they land in the base (the worker cannot write /var/log/nginx in either, so the
    // access log whose name holds a variable is written by neither).
    const written = (diff: string) =>
      diff
        .split('\n')
        .map((l) => l.slice(2))
        .filter((p) => /^\/(var\/log|run)\/./.test(p))
        .sort();
    expect(written(scratch.wrote)).toEqual(written(base.wrote));
    expect(written(base.wrote)).toContain('/var/log/nginx/error.log');
  });
});
