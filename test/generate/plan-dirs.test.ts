import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Plan } from '../../src/generate/plan.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloRoot } from '../helpers/roots.js';

describe('directories the scaffold creates', () => {
  it('one the base lacks goes under its nearest parent the base has, resolved: /var/run/postgresql is /run/postgresql', () => {
    const dir = helloRoot();
    mkdirSync(join(dir, 'run'));
    mkdirSync(join(dir, 'var'));
    symlinkSync('/run', join(dir, 'var/run'));
    const plan = new Plan(openDirRoot(dir));
    plan.addDir('/var/run/postgresql/sub', 0o2775, 102, 104, 'sockets', true);
    plan.addDir('/srv/new', 0o700, 1, 1, 'new');
    expect([...plan.dirs.keys()]).toEqual(['/run/postgresql/sub', '/srv/new']);
    expect(plan.links.get('/var/run')).toBe('/run');
    expect(plan.dirs.get('/run/postgresql/sub')).toMatchObject({ writable: true, mode: 0o2775 });
  });
});
