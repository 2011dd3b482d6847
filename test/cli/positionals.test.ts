import { Parser } from '@oclif/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import Generate from '../../src/cli/commands/generate.js';
import Verify from '../../src/cli/commands/verify.js';
import { positionals } from '../../src/cli/positionals.js';
import { generate } from '../../src/generate/generate.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloInput, helloRoot } from '../helpers/roots.js';

// The program's own arguments, after `--`, reach the image's ENTRYPOINT (and so `docker run`) in the order given,
// repeated flags included: PostgreSQL's `-c a=1 -c b=2` was once run as `-c -c a=1 b=2`.

/** Arguments as users write them: repeated short flags, their values, long flags with and without `=`. */
const word = fc.oneof(
  fc.constantFrom('-c', '-D', '-p', '--port', '-', 'a=1', 'listen_addresses=*', '/etc/app.conf', '--config=/x', '5432', ''),
  fc.stringMatching(/^-{0,2}[a-z_]{1,6}(=[a-z/*]{0,6})?$/),
);
const programArgs = fc.array(word, { maxLength: 12 });

describe('the program arguments keep their order', () => {
  it('through oclif, for generate and verify: the positionals are the binary, then every argument after -- as given', async () => {
    await fc.assert(
      fc.asyncProperty(programArgs, fc.constantFrom('generate', 'verify'), async (args, command) => {
        const extra = command === 'verify' ? ['--smoke', '--version'] : [];
        const argv = ['/bin/prog', '--base', 'img', ...extra, '--', ...args];
        const parsed =
          command === 'generate'
            ? await Parser.parse(argv, { flags: { ...Generate.baseFlags, ...Generate.flags }, args: Generate.args, strict: false })
            : await Parser.parse(argv, { flags: { ...Verify.baseFlags, ...Verify.flags }, args: Verify.args, strict: false });
        expect(positionals(parsed.raw)).toEqual(['/bin/prog', ...args]);
      }),
      { numRuns: 300 },
    );
  });

  it('into the ENTRYPOINT the Dockerfile writes, which is what verify, --trace-service and --bundle start', () => {
    const root = openDirRoot(helloRoot());
    fc.assert(
      fc.property(programArgs, (args) => {
        const r = generate(helloInput(root, { args, packages: { enabled: false }, references: false }));
        expect(r.entrypoint).toEqual(['/app/hello', ...args]);
        expect(r.dockerfile).toContain(`ENTRYPOINT ${JSON.stringify(['/app/hello', ...args])}`);
      }),
      { numRuns: 100 },
    );
  });
});
