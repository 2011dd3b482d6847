import { describe, expect, it } from 'vitest';
import { serviceSteps } from '../../src/cli/service-steps.js';
import { parseProbe, unescapeBytes } from '../../src/engine/probe-spec.js';
import { ScratchifyError } from '../../src/errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('--probe', () => {
  it('http: method, port (80 by default), path with its query, headers, a body (POST when none is named)', () => {
    expect(parseProbe('http://127.0.0.1/cv')).toMatchObject({ kind: 'http', method: 'GET', port: 80, path: '/cv', headers: {} });
    expect(parseProbe("head http://localhost:8080/a?b=1 -H 'Accept: text/html'")).toMatchObject({
      method: 'HEAD',
      port: 8080,
      path: '/a?b=1',
      headers: { Accept: 'text/html' },
    });
    expect(parseProbe('http://127.0.0.1:9000/api -d \'{"a":1}\'')).toMatchObject({ method: 'POST', data: b64('{"a":1}') });
  });

  it('tcp: a port, bytes to send and text to expect, with \\r\\n escapes', () => {
    expect(parseProbe('tcp://127.0.0.1:11211 -d "stats\\r\\n" --expect "STAT pid"')).toMatchObject({
      kind: 'tcp',
      port: 11211,
      data: b64('stats\r\n'),
      expect: b64('STAT pid'),
    });
    expect(unescapeBytes('a\\x41\\tb\\\\c\\q')).toEqual(Buffer.from('aA\tb\\c\\q'));
  });

  it.each([
    ['ftp://127.0.0.1/', /ftp:\/\/ is not a probe scheme/],
    ['http://10.0.0.1/', /10\.0\.0\.1 is not loopback/],
    ['tcp://127.0.0.1', /needs a port/],
    ['tcp://127.0.0.1:99999', /not a URL|needs a port/],
    ['GET tcp://127.0.0.1:1', /GET applies to http/],
    ['tcp://127.0.0.1:1/path', /has no path/],
    ['http://127.0.0.1/ -H nocolon', /is not "Name: value"/],
    ['http://127.0.0.1/ --expect x', /--expect is not an option of a http/],
    ['http://127.0.0.1/ -d', /-d needs a value/],
    ['', /no URL/],
  ])('%s is a usage error: %s', (text, why) => {
    const e = (() => {
      try {
        parseProbe(text);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ScratchifyError);
    expect((e as ScratchifyError).code).toBe('USAGE');
    expect((e as ScratchifyError).message).toMatch(why);
  });
});

describe('the steps of a service run', () => {
  it('keep the order of the command line across --probe, --probe-cmd and --restart', () => {
    const steps = serviceSteps([
      { type: 'arg', input: '/usr/bin/redis-server' },
      { type: 'flag', flag: 'probe', input: 'tcp://127.0.0.1:6379' },
      { type: 'flag', flag: 'probe-cmd', input: "redis-cli set k 'a b'" },
      { type: 'flag', flag: 'restart', input: '--restart' },
      { type: 'flag', flag: 'base', input: 'img' },
      { type: 'flag', flag: 'probe-cmd', input: 'redis-cli get k' },
    ]);
    expect(steps.map((s) => s.kind)).toEqual(['probe', 'cmd', 'restart', 'cmd']);
    expect(steps[1]).toMatchObject({ argv: ['redis-cli', 'set', 'k', 'a b'] });
  });

  it('a --restart with nothing after it is refused', () => {
    expect(() => serviceSteps([{ type: 'flag', flag: 'restart', input: '--restart' }])).toThrow(/--restart comes last/);
  });
});
