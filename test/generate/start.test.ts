import { describe, expect, it } from 'vitest';
import type { BaseConfig } from '../../src/generate/base-config.js';
import { generate } from '../../src/generate/generate.js';
import { imageStart } from '../../src/generate/start.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloInput, helloRoot } from '../helpers/roots.js';

const EMPTY: BaseConfig = { env: [], exposedPorts: [], labels: {}, volumes: [] };

describe('how the image starts, without planning its files', () => {
  it('is what the plan writes: ENTRYPOINT, CMD and USER, with the base configuration or the user arguments', () => {
    const root = openDirRoot(helloRoot());
    for (const extra of [
      {},
      { args: ['-v', 'x'] },
      { baseConfig: { ...EMPTY, entrypoint: ['/app/hello', '-q'], cmd: ['--port', '80'] } },
      { baseConfig: { ...EMPTY, cmd: ['/app/hello', 'run'] }, user: 'root' },
    ]) {
      const input = helloInput(root, { packages: { enabled: false }, references: false, ...extra });
      const planned = generate(input);
      expect(imageStart(input)).toEqual({ entrypoint: planned.entrypoint, cmd: planned.cmd, user: planned.user });
    }
  });
});
