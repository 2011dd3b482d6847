import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Plan } from '../../src/generate/plan.js';
import { renderSizeTree, sizeTree } from '../../src/generate/size-tree.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloRoot } from '../helpers/roots.js';

describe('the image as a tree by size', () => {
  it('sums each directory, largest first, every file with its reason, a tree copied whole as one entry', () => {
    const dir = helloRoot();
    mkdirSync(join(dir, 'opt/big/data'), { recursive: true });
    writeFileSync(join(dir, 'opt/big/data/a'), Buffer.alloc(3000));
    writeFileSync(join(dir, 'opt/big/data/b'), Buffer.alloc(1000));
    writeFileSync(join(dir, 'opt/small'), Buffer.alloc(10));
    const plan = new Plan(openDirRoot(dir));
    plan.add('/opt/big/data', 'the data, --include');
    plan.add('/opt/small', 'a small file');
    plan.generate('/etc/passwd', 'root:x:0:0::/:/x\n', 'accounts');
    const top = sizeTree(plan);
    const opt = top.children.find((c) => c.path === '/opt')!;
    expect(opt.bytes).toBe(4010);
    expect(opt.files).toBe(3);
    expect(top.bytes).toBe(4010 + 'root:x:0:0::/:/x\n'.length);
    expect(top.children[0].path).toBe('/opt');
    expect(opt.children.map((c) => c.path)).toEqual(['/opt/big', '/opt/small']);
    const lines = renderSizeTree(top);
    // /opt/big/data joined into one line (one child each), copied whole: its files not listed one by one.
    expect(lines.find((l) => l.includes('big/data/'))).toMatch(
      /4 KiB {2}│ {3}├── big\/data\/ \(2 files, copied whole\): the data, --include$/,
    );
    expect(lines.some((l) => /├── a:|└── a:/.test(l))).toBe(false);
    expect(lines.find((l) => l.includes('small'))).toMatch(/└── small: a small file$/);
    expect(lines.find((l) => l.includes('passwd'))).toMatch(/passwd: accounts$/);
  });
});
