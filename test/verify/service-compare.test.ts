import { describe, expect, it } from 'vitest';
import { appendFixes } from '../../src/verify/fix-dockerfile.js';
import type { Observation, SessionResult } from '../../src/engine/session.js';
import { compareSessions, failsInBase } from '../../src/verify/service-compare.js';

const http = (text: string, r: Record<string, unknown>): Observation => ({
  step: { kind: 'probe', probe: { kind: 'http', text, method: 'GET', port: 80, path: '/', headers: {} } },
  http: r,
});
const cmd = (text: string, exitCode: number, stdout: string): Observation => ({
  step: { kind: 'cmd', text, argv: text.split(' ') },
  run: { exitCode, stdout, stderr: exitCode ? 'ERR connection refused' : '', timedOut: false },
});
const session = (observations: Observation[], extra: Partial<SessionResult> = {}): SessionResult => ({
  start: { ok: true },
  observations,
  stop: { exitCode: 0, seconds: 0.1, status: 'stopped' },
  paths: [],
  logs: '',
  ...extra,
});
const page = { status: 200, location: null, contentType: 'text/html', bytes: 5, sha256: 'aa', head: 'hello' };

describe('a service in the scratch image against the same in the base', () => {
  it('the same answers, client output and stop pass', () => {
    const base = session([http('http://127.0.0.1/', page), cmd('redis-cli get k', 0, 'v')]);
    const out = compareSessions(base, session([http('http://127.0.0.1/', page), cmd('redis-cli get k', 0, 'v')]));
    expect(out.map((o) => [o.name, o.pass])).toEqual([
      ['start', true],
      ["--probe 'http://127.0.0.1/'", true],
      ["--probe-cmd 'redis-cli get k'", true],
      ['stop', true],
    ]);
  });

  it('status, Content-Type, body, client output and how it stopped are each named when they differ', () => {
    const base = session([http('http://127.0.0.1/cv', { ...page, contentType: 'application/pdf' }), cmd('redis-cli get k', 0, 'v')]);
    const scratch = session(
      [http('http://127.0.0.1/cv', { ...page, status: 404, sha256: 'bb', bytes: 153 }), cmd('redis-cli get k', 0, '')],
      {
        stop: { exitCode: 137, seconds: 10, status: 'killed' },
      },
    );
    const out = compareSessions(base, scratch);
    expect(out[1].differences).toEqual([
      "HTTP status 404, the base's 200",
      'Content-Type "text/html", the base\'s "application/pdf"',
      'the body differs (153 bytes, the base\'s 5; it begins "hello")',
    ]);
    expect(out[2].differences[0]).toMatch(/standard output differs \(""/);
    expect(out[3].differences[0]).toMatch(/stopped as 'killed' \(exit 137 after 10.0 s\), the base 'stopped'/);
  });

  it('a scratch service that never started fails its start, and every step says it was not reached', () => {
    const base = session([http('http://127.0.0.1/', page)]);
    const scratch = session([], { start: { ok: false, why: 'the service exited with status 1', logs: 'line1\nFATAL: no zoneinfo' } });
    const out = compareSessions(base, scratch);
    expect(out[0]).toMatchObject({
      name: 'start',
      pass: false,
      differences: ['the service exited with status 1; its last lines: line1 | FATAL: no zoneinfo'],
    });
    expect(out[1].differences).toEqual(['not reached: the service was not running']);
    expect(out.some((o) => o.name === 'stop')).toBe(false);
  });

  it('a probe that fails in the base is named, so there is nothing to compare', () => {
    expect(failsInBase(http('http://127.0.0.1/', { error: 'ECONNREFUSED' }))).toBe('the request failed (ECONNREFUSED)');
    expect(failsInBase(cmd('psql -c x', 2, ''))).toMatch(/exits with status 2: ERR connection refused/);
    expect(failsInBase(http('http://127.0.0.1/', page))).toBeUndefined();
  });
});

describe('verify -f --fix on a Dockerfile of the user', () => {
  const added = (paths: string[]) =>
    paths.map((path) => ({ path, use: 'read' as const, reason: '--fix: the service used it in the base' }));

  it('copies from the stage the last one already copies from, files of one directory in one COPY', () => {
    const text = 'ARG BASE=img\nFROM $BASE AS base\nFROM scratch\nCOPY --from=base /a /a\nENTRYPOINT ["/a"]\n';
    const fixed = appendFixes(text, added(['/usr/share/x.pdf', '/usr/share/y.pdf', '/etc/z']), 'myorg/site:1');
    expect(fixed).toBe(
      `${text}# --fix: the service used it in the base\nCOPY --from=base /etc/z /etc/z\n# --fix: the service used it in the base\nCOPY --from=base \\\n     /usr/share/x.pdf \\\n     /usr/share/y.pdf \\\n     /usr/share/\n`,
    );
  });

  it('takes the stage whose FROM is the base, through a global ARG', () => {
    const text =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG
      'ARG B=myorg/site:1\nFROM ${B} AS site\nFROM other AS tools\nFROM scratch\nCOPY --from=tools /t /t\nCOPY --from=tools /u /u\n';
    expect(appendFixes(text, added(['/x']), 'myorg/site:1')).toMatch(/COPY --from=site \/x \/x\n$/);
  });

  it('adds a stage of the base before the last FROM when no stage of the user has its files', () => {
    const text = 'FROM scratch\nCOPY app /app\n';
    const fixed = appendFixes(text, added(['/x']), 'myorg/site:1');
    expect(fixed).toBe(
      '# scratchify verify --fix: the image the missing files come from\nFROM myorg/site:1 AS scratchify-fix\n\nFROM scratch\nCOPY app /app\n# --fix: the service used it in the base\nCOPY --from=scratchify-fix /x /x\n',
    );
  });
});
