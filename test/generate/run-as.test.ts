import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BaseConfig } from '../../src/generate/base-config.js';
import { imageAccounts } from '../../src/generate/run-as.js';
import type { ProfileResult } from '../../src/profiles/types.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\npostgres:x:102:104::/var/lib/postgresql:/bin/bash\n';
const GROUP = 'root:x:0:\npostgres:x:104:\n';

function root(): Root {
  const d = mkdtempSync(join(tmpdir(), 'scratchify-runas-'));
  mkdirSync(join(d, 'etc'));
  writeFileSync(join(d, 'etc/passwd'), PASSWD);
  writeFileSync(join(d, 'etc/group'), GROUP);
  return new Root(new DirBackend(d));
}

const config = (user?: string): BaseConfig => ({ env: [], exposedPorts: [], labels: {}, volumes: [], user });
const profile = (runsAs: ProfileResult['runsAs']): ProfileResult => ({
  name: 'db',
  files: [],
  trees: [],
  dlopen: [],
  writable: [],
  users: [],
  defaultArgs: [],
  warnings: [],
  notes: [],
  runsAs,
});

describe('who the image runs as', () => {
  it("a base's bare USER uid with no account runs as that uid and group 0, as the engines run the base", () => {
    const notes: string[] = [];
    const a = imageAccounts({ root: root(), baseConfig: config('1001') }, undefined, notes);
    expect(a.user).toBe('1001:0');
    expect(a.adds.generated[0].content.toString()).toContain(':x:1001:0:');
    expect(a.adds.dirs.map((d) => d.path)).not.toContain('/');
    expect(notes.join('\n')).toContain('the base image');
  });

  it("a base's USER naming an account it lacks is not kept", () => {
    const a = imageAccounts({ root: root(), baseConfig: config('ghost') }, undefined, []);
    expect(a.user).toBe('65532:65532');
  });

  it('a data directory owned by a uid the base has: runs as that account; by one it lacks: a warning with the --user that fixes it', () => {
    const known = imageAccounts({ root: root() }, profile({ uid: 102, why: 'it owns the data directory /d' }), []);
    expect(known.runAs.name).toBe('postgres');
    expect(known.adds.warnings).toEqual([]);
    const unknown = imageAccounts({ root: root() }, profile({ uid: 999, why: 'it owns the data directory /d' }), []);
    expect(unknown.runAs.uid).toBe(65532);
    expect(unknown.adds.warnings).toHaveLength(1);
    expect(unknown.adds.warnings[0]).toMatch(
      /^uid 999 owns the data directory \/d, but the base's \/etc\/passwd has no account .* give --user 999 /,
    );
  });
});
