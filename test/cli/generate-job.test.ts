import { describe, expect, it } from 'vitest';
import type { GenerateFlags } from '../../src/cli/generate-flags.js';
import { generateJob } from '../../src/cli/job/generate-job.js';

const flags = (f: Partial<GenerateFlags>) =>
  ({ 'stop-timeout': '10', 'trace-timeout': '60', 'sbom-format': 'cyclonedx', ...f }) as GenerateFlags;
const probe = [{ type: 'flag', flag: 'probe', input: 'http://127.0.0.1/' }];

describe('a generate command line, checked once into a job', () => {
  it('refuses each flag combination that cannot work, with its code, before any work', () => {
    const code = (f: Partial<GenerateFlags>, raw: typeof probe = []) => {
      try {
        generateJob(['/usr/sbin/nginx'], flags(f), raw, true);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'accepted';
    };
    expect(code({ 'trace-service': true, base: 'img:1' })).toBe('USAGE'); // nothing to ask the service
    expect(code({ base: 'img:1' }, probe)).toBe('USAGE'); // a probe without --trace-service
    expect(code({ base: 'img:1', volume: ['d:/data'] })).toBe('USAGE');
    expect(code({ base: 'img:1', user: ' ' })).toBe('USAGE');
    expect(code({ base: 'img:1', expose: ['http'] })).toBe('USAGE');
    expect(code({ base: 'Not A Ref' })).toBe('USAGE');
    expect(code({ base: 'img:1', 'trace-service': true }, probe)).toBe('accepted');
  });

  it('keeps the program arguments in order, and the platforms asked', () => {
    const job = generateJob(
      ['/usr/sbin/nginx', '-g', 'daemon off;'],
      flags({ base: 'img:1', platform: 'linux/amd64,linux/arm64' }),
      [],
      true,
    );
    expect(job).toMatchObject({ program: '/usr/sbin/nginx', extra: ['-g', 'daemon off;'], platforms: ['linux/amd64', 'linux/arm64'] });
    expect(job.source).toEqual({ kind: 'image', ref: 'img:1', platform: 'linux/amd64,linux/arm64' });
  });
});
