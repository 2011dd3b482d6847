import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import Generate from '../../src/cli/commands/generate.js';
import { regenerateCommand } from '../../src/cli/regenerate.js';

describe('the "Regenerate with" line comes from the flag definitions', () => {
  it('writes every flag that differs from its default, negations and repeats included', () => {
    const line = regenerateCommand(
      ['scratchify', '/usr/sbin/nginx'],
      Generate.flags,
      {
        base: 'nginx:1',
        include: ['/etc/a b', '/x'],
        gconv: false,
        'ca-certs': true,
        'package-metadata': true,
        output: '/tmp/out/Dockerfile',
        sbom: '/tmp/out/sbom.json',
        'sbom-format': 'cyclonedx',
        json: true,
      },
      { skip: ['json'], pathFlags: ['output', 'sbom'], extra: ['-g', 'daemon off;'] },
    );
    expect(line).toBe(
      "scratchify /usr/sbin/nginx --base nginx:1 --include '/etc/a b' --include /x --ca-certs --no-gconv --output Dockerfile --sbom sbom.json -- -g 'daemon off;'",
    );
  });

  it('a shell reads every word back as given, quotes inside quotes included', () => {
    const words = [`psql -c "insert into t values ('kept')"`, "it's", 'a"b', '$HOME `x` \\', '', 'plain'];
    const line = regenerateCommand(['scratchify', '/p'], { 'probe-cmd': { type: 'option', multiple: true } }, { 'probe-cmd': words });
    const read = execFileSync('sh', ['-c', `for w in ${line.slice('scratchify /p '.length)}; do printf '%s\\0' "$w"; done`]).toString();
    expect(
      read
        .split('\0')
        .slice(0, -1)
        .filter((w) => w !== '--probe-cmd'),
    ).toEqual(words);
  });

  it('picks up a flag no list names', () => {
    const defs = { ...Generate.flags, 'brand-new': { type: 'option' as const } };
    expect(regenerateCommand(['scratchify', '/p'], defs, { 'brand-new': 'v' })).toBe('scratchify /p --brand-new v');
  });
});
