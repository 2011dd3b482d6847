import { describe, expect, it } from 'vitest';
import type { ScratchifyError } from '../../src/errors.js';
import { parseConfigureArgs, parseNginxConf } from '../../src/profiles/nginx-conf.js';

describe('nginx configuration tokenizer', () => {
  it('directives, blocks, quotes, comments and line numbers', () => {
    const text = [
      'user www-data; # the worker',
      'load_module "modules/ngx stream.so";',
      'http {',
      "  log_format main '$remote_addr \\'x\\'';",
      '  server {',
      '    root /var/www/html;',
      '    location ~ \\.php# {',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const d = parseNginxConf(text, 'nginx.conf');
    expect(d.map((x) => [x.name, x.args, x.line, x.context.join('>')])).toEqual([
      ['user', ['www-data'], 1, ''],
      ['load_module', ['modules/ngx stream.so'], 2, ''],
      ['http', [], 3, ''],
      ['log_format', ['main', "$remote_addr 'x'"], 4, 'http'],
      ['server', [], 5, 'http'],
      ['root', ['/var/www/html'], 6, 'http>server'],
      ['location', ['~', '\\.php#'], 7, 'http>server'],
    ]);
  });

  for (const [text, why] of [
    ['http {\n  root /x;\n', /nginx.conf:3: unexpected end of file, expecting "}" to close "http"/],
    ['user www-data', /nginx.conf:1: unexpected end of file, expecting ";"/],
    ['}\n', /nginx.conf:1: unexpected "}"/],
    ['root "/unterminated;\n\n', /nginx.conf:1: unterminated quoted string/],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} with file:line`, () => {
      expect(() => parseNginxConf(text, 'nginx.conf')).toThrow(why);
      try {
        parseNginxConf(text, 'nginx.conf');
      } catch (e) {
        expect((e as ScratchifyError).code).toBe('CONFIG_INVALID');
      }
    });
  }
});

describe('configure arguments', () => {
  it("Debian's build", () => {
    const b = parseConfigureArgs(
      "--with-cc-opt='-g -O2' --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf --error-log-path=stderr --pid-path=/run/nginx.pid --http-client-body-temp-path=/var/lib/nginx/body",
    );
    expect(b.prefix).toBe('/usr/share/nginx');
    expect(b.confPath).toBe('/etc/nginx/nginx.conf');
    expect(b.errorLogPath).toBe('stderr');
    expect(b.tempPaths[0]).toBe('/var/lib/nginx/body');
    expect(b.tempPaths[1]).toBe('/usr/share/nginx/proxy_temp');
  });

  it("nginx's own defaults when built without paths", () => {
    const b = parseConfigureArgs(undefined);
    expect([b.prefix, b.confPath, b.pidPath]).toEqual([
      '/usr/local/nginx',
      '/usr/local/nginx/conf/nginx.conf',
      '/usr/local/nginx/logs/nginx.pid',
    ]);
  });
});
