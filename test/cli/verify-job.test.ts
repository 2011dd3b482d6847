import { describe, expect, it } from 'vitest';
import { verifyJob } from '../../src/cli/job/verify-job.js';
import type { VerifyFlags } from '../../src/cli/verify-flags.js';

const flags = (f: Partial<VerifyFlags>) => ({ timeout: '60', 'stop-timeout': '10', 'trace-timeout': '60', ...f }) as VerifyFlags;
const job = (f: Partial<VerifyFlags>, raw: { type: string; flag?: string; input: string }[] = [], said: string[] = []) =>
  verifyJob('/usr/bin/prog', flags(f), raw as never, (l) => said.push(l));

describe('a verify command line, checked once into a job', () => {
  it('refuses each flag combination that cannot work, with its code, before any work', () => {
    const code = (f: Partial<VerifyFlags>) => {
      try {
        job(f);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'accepted';
    };
    expect(code({ smoke: ['--version'] })).toBe('USAGE'); // no base
    expect(code({ base: 'img:1' })).toBe('USAGE'); // nothing to verify for a program of no known protocol
    expect(code({ base: 'img:1', smoke: ['x'], volume: ['d:/data'] })).toBe('USAGE'); // a volume with no service
    expect(code({ base: 'img:1', smoke: ['x'], fix: true })).toBe('USAGE'); // --fix writes: -o needed
    expect(code({ base: 'img:1', smoke: ['x'], file: '/no/such/Dockerfile' })).toBe('INPUT_NOT_FOUND');
    expect(code({ base: 'img:1', smoke: ['x'], timeout: 'soon' })).toBe('USAGE');
    expect(code({ base: 'img:1', smoke: ['x'] })).toBe('accepted');
  });

  it('a known service with no probe gets its own round trip, and says so', () => {
    const said: string[] = [];
    const j = verifyJob('/usr/bin/redis-server', flags({ base: 'img:1' }), [] as never, (l) => said.push(l));
    expect(j.steps.map((s) => s.kind)).toEqual(['probe']);
    expect(said[0]).toMatch(/^no --smoke or --probe given: tcp:\/\/127\.0\.0\.1:6379/);
    expect(j).toMatchObject({ source: { kind: 'image', ref: 'img:1' }, timeout: 60, stopTimeout: 10, smokes: [] });
  });
});
