import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDirRoot } from '../../src/rootfs/open.js';
import { roundContext, withAdded } from '../../src/verify/rounds.js';
import { helloInput, helloRoot } from '../helpers/roots.js';

describe("verify's rounds, built from data", () => {
  it("a user's Dockerfile is built as it is, then in a fixed copy beside it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-rounds-'));
    const file = join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM scratch\nCOPY app /app\n');
    const source = { kind: 'file' as const, file, baseRef: 'myorg/base:1' };
    expect(roundContext(source, [])).toEqual({ dir, dockerfileName: 'Dockerfile', files: [] });
    const fixed = roundContext(source, [{ path: '/etc/x', use: 'read', reason: '--fix: it read it' }]);
    expect(fixed).toMatchObject({ dir, dockerfileName: 'Dockerfile.fixed', dockerfileInTemp: true });
    expect(String(fixed.files[0].data)).toMatch(
      /FROM myorg\/base:1 AS scratchify-fix[\s\S]*COPY --from=scratchify-fix \/etc\/x \/etc\/x\n$/,
    );
  });

  it('a plan gets what --fix added: files read as --include, the rest as traced uses', () => {
    const input = helloInput(openDirRoot(helloRoot()), { packages: { enabled: false }, references: false });
    const added = [
      { path: '/app/hello', use: 'read' as const, reason: 'read' },
      { path: '/var/spool/x', use: 'written' as const, reason: 'written' },
    ];
    const more = withAdded(input, added);
    expect(more.includes).toEqual([...input.includes, '/app/hello']);
    expect(more.traced).toEqual([...(input.traced ?? []), added[1]]);
    const ctx = roundContext({ kind: 'plan', input }, added);
    expect(ctx.files.map((f) => f.name)).toEqual([input.dockerfileName, input.scaffoldName]);
    expect(String(ctx.files[0].data)).toContain('ENTRYPOINT ["/app/hello"]');
    expect(ctx.service?.uid).toMatch(/^\d+/);
  });
});
