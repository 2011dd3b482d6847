import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Root } from '../../src/rootfs/root.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Resolver } from '../../src/resolve/resolver.js';
import type { LinkMap } from '../../src/resolve/types.js';
import { hostLdsoList, type LdsoListing } from '../helpers/ldso.js';
import { namesToPaths } from '../helpers/linkmap.js';
import { FIXTURES } from '../helpers/paths.js';

const GLIBC64 = '/lib64/ld-linux-x86-64.so.2';
const RULES = join(import.meta.dirname, 'rules');

function how(map: LinkMap, name: string): string | undefined {
  const dep = map.objects.flatMap((o) => o.deps).find((d) => d.name === name && d.object);
  return dep ? `${dep.object!.how.kind}${dep.object!.how.owner ? ` of ${dep.object!.how.owner}` : ''}` : undefined;
}

/** One run of a rule's program; expect.json holds one, or several under "runs". */
interface Run {
  prog?: string;
  loader?: string;
  libraryPath?: string;
  /** False where `ld.so --list` cannot stand in for exec; why_no_oracle says why. */
  oracle?: boolean;
  /** Expected "how found" for a named dependency, or 'missing'; {dir} is the rule's built directory. */
  expect: Record<string, string>;
  /** Objects the program dlopens, in order, by path under the rule's directory (given to it as arguments). */
  dlopen?: string[];
  /** What the program prints when run with those arguments: the loader's own answer. */
  output?: string;
}

interface Case extends Run {
  dir: string;
}

/** test/resolve/rules/NN_rule/: recipe.sh (built by test/fixtures/build.sh into FIXTURES/rule) and expect.json. */
const cases: Case[] = readdirSync(RULES)
  .sort()
  .flatMap((folder) => {
    const spec = JSON.parse(readFileSync(join(RULES, folder, 'expect.json'), 'utf8')) as Run & { runs?: Run[] };
    const dir = folder.replace(/^\d\d_/, '');
    return (spec.runs ?? [spec]).map((r) => ({ ...r, dir }));
  });

describe('resolver against the real loader, one fixture per loader rule', () => {
  const resolver = new Resolver(new Root(new DirBackend('/')));
  for (const c of cases) {
    const dir = join(FIXTURES, c.dir);
    const prog = join(dir, c.prog ?? 'bin/prog');
    const loader = c.loader ?? GLIBC64;
    it(`${c.dir}${c.prog ? ` (${c.prog})` : ''}`, () => {
      expect(existsSync(prog), `fixture ${prog} was not built`).toBe(true);
      const r = c.libraryPath ? new Resolver(resolver.root, { libraryPath: [join(dir, c.libraryPath)] }) : resolver;
      const map = r.loadProgram(prog);
      const opened = (c.dlopen ?? []).map((p) => join(dir, p));
      for (const p of opened) r.dlopen(map, p);
      if (c.output !== undefined) {
        // Our own fixture, run here: the real loader says whether the order of dlopens works.
        const run = spawnSync(prog, opened, { encoding: 'utf8' });
        expect(run.stdout).toContain(c.output);
      }
      const ours = namesToPaths(map);
      const oracle: LdsoListing =
        c.oracle === false
          ? { found: new Map() }
          : hostLdsoList(loader, prog, c.libraryPath ? { LD_LIBRARY_PATH: join(dir, c.libraryPath) } : {});
      if (oracle.fatal) {
        expect(ours.get(oracle.fatal), `loader could not load ${oracle.fatal}`).toBeNull();
      } else {
        for (const [name, path] of oracle.found) expect([name, ours.get(name)]).toEqual([name, path]);
      }
      for (const [name, want] of Object.entries(c.expect)) {
        const got = ours.get(name) === null ? 'missing' : how(map, name);
        expect([name, got]).toEqual([name, want.replaceAll('{dir}', dir)]);
      }
    });
  }

  it('a program started through a symlink finds its libraries as exec does (it runs)', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(join(FIXTURES, 'program_origin_is_its_real_path/links/prog'), { encoding: 'utf8' });
    expect(out.trim()).toBe('ok 42');
    const map = resolver.loadProgram(join(FIXTURES, 'program_origin_is_its_real_path/links/prog'));
    expect(namesToPaths(map).get('libbar.so')).toBe(`${FIXTURES}/program_origin_is_its_real_path/app/bin/../lib/libbar.so`);
  });

  it('the tls/ copy wins over the one beside it, as glibc 2.36 searches it first', () => {
    const map = resolver.loadProgram(join(FIXTURES, 'legacy_tls_subdir_first/bin/prog'));
    expect(namesToPaths(map).get('libbar.so')).toBe(`${FIXTURES}/legacy_tls_subdir_first/bin/../lib/tls/libbar.so`);
  });

  it('a static musl binary has no interpreter and no dependencies', () => {
    const map = resolver.loadProgram(join(FIXTURES, 'musl/bin/static'));
    expect(map.libc).toBe('static');
    expect(map.objects).toHaveLength(1);
  });

  it('records the paths tried, in order, for a library that is not found', () => {
    const map = resolver.loadProgram(join(FIXTURES, 'runpath_is_not_inherited/bin/prog'));
    const dep = map.objects.flatMap((o) => o.deps).find((d) => d.name === 'libbar.so')!;
    expect(dep.object).toBeUndefined();
    const tried = dep.tried.map((t) => t.path);
    expect(tried[0]).toBe('/lib/x86_64-linux-gnu/libbar.so');
    expect(tried).toEqual([
      '/lib/x86_64-linux-gnu/libbar.so',
      '/usr/lib/x86_64-linux-gnu/libbar.so',
      '/lib/libbar.so',
      '/usr/lib/libbar.so',
    ]);
  });
});
