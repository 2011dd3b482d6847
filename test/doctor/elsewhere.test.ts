import { copyFileSync, cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/doctor/diagnose.js';
import { findElsewhere } from '../../src/doctor/elsewhere.js';
import { fixesInTarget } from '../../src/doctor/found-elsewhere.js';
import { mergeTried } from '../../src/doctor/render.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloRoot } from '../helpers/roots.js';
import { FIXTURES } from '../helpers/paths.js';

/** The hello root with the greeter fixture laid out as `layout` says (paths of the greeter's files in the root). */
function greeterRoot(layout: Record<string, string>): string {
  const dir = helloRoot();
  for (const [from, to] of Object.entries(layout)) {
    mkdirSync(join(dir, to, '..'), { recursive: true });
    cpSync(join(FIXTURES, 'greeter', from), join(dir, to), { verbatimSymlinks: true });
  }
  return dir;
}

describe('doctor: a library the root holds off the search path', () => {
  it('by file name and by DT_SONAME, of the right class only; links to directories not followed', () => {
    const dir = greeterRoot({
      'bin/greeter': 'opt/greeter/bin/greeter',
      'lib/libgreet.so.1.0.0': 'opt/greeter/lib64/libgreet.so.1.0.0',
      'lib32/libgreet.so.1': 'opt/greeter/lib32/libgreet.so.1',
    });
    symlinkSync('/opt/greeter', join(dir, 'loop'));
    const root = openDirRoot(dir);
    const prog = root.readElf('/opt/greeter/bin/greeter');
    expect(findElsewhere(root, 'libgreet.so.1', prog)).toEqual([{ path: '/opt/greeter/lib64/libgreet.so.1.0.0', by: 'soname' }]);
    copyFileSync(join(FIXTURES, 'greeter/lib/libgreet.so.1.0.0'), join(dir, 'opt/greeter/lib64/libgreet.so.1'));
    // A file of the name itself comes first: the plainer fix.
    expect(findElsewhere(root, 'libgreet.so.1', prog).map((c) => c.by)).toEqual(['name', 'soname']);
  });

  it('names the RUNPATH that would find it, and the path the loader would open', () => {
    const dir = greeterRoot({ 'bin/greeter': 'opt/greeter/bin/greeter', 'lib/libgreet.so.1.0.0': 'opt/greeter/lib64/libgreet.so.1' });
    const root = openDirRoot(dir);
    const d = diagnose(root, '/opt/greeter/bin/greeter');
    const [fix] = fixesInTarget(d, root);
    expect(fix.place).toEqual({ from: '/opt/greeter/lib64/libgreet.so.1', to: '/opt/greeter/lib/libgreet.so.1' });
    expect(fix.libraryPath).toBe('/opt/greeter/lib64');
    expect(fix.runpath).toEqual({ owner: '/opt/greeter/bin/greeter', kind: 'DT_RUNPATH', was: '$ORIGIN/../lib', now: '$ORIGIN/../lib64' });
    const tried = mergeTried(d.problems[0].tried);
    expect(tried[0]).toMatchObject({
      path: '/opt/greeter/bin/../lib/libgreet.so.1',
      rules: ['DT_RUNPATH $ORIGIN/../lib of /opt/greeter/bin/greeter'],
    });
    expect(new Set(tried.map((t) => t.path)).size).toBe(tried.length);
  });
});
