import { chmodSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, MAX_ARGUMENT_DIR_BYTES } from '../../src/generate/generate.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { DirBackend } from '../../src/rootfs/dir.js';
import { Root } from '../../src/rootfs/root.js';
import { helloInput, helloRoot } from '../helpers/roots.js';

/** The hello root plus a config file, a data directory, a spool directory and the secrets a run may read. */
function root(): Root {
  const d = helloRoot();
  mkdirSync(join(d, 'etc/app'), { recursive: true });
  writeFileSync(join(d, 'etc/app/app.conf'), 'x = 1\n');
  mkdirSync(join(d, 'srv/data/sub'), { recursive: true });
  writeFileSync(join(d, 'srv/data/big.bin'), Buffer.alloc(4096));
  mkdirSync(join(d, 'var/spool/app'), { recursive: true });
  chmodSync(join(d, 'var/spool/app'), 0o750);
  writeFileSync(join(d, 'etc/shadow'), 'root:$6$hash:1::::::\n');
  return new Root(new DirBackend(d));
}

describe('what a traced run used, as the image needs it', () => {
  it('files read are copied; listed directories created with their mode, not copied; written files get their directory; created files and secrets stay out', () => {
    const reason = "used by --trace 'x'";
    const r = generate(
      helloInput(root(), {
        traced: [
          { path: '/etc/app/app.conf', use: 'read', reason },
          { path: '/srv/data', use: 'dir', reason },
          { path: '/var/spool/app/queue.db', use: 'written', reason },
          { path: '/tmp/made-by-the-run', use: 'read', reason },
          { path: '/etc/shadow', use: 'read', reason },
          { path: '/etc/passwd', use: 'read', reason },
        ],
      }),
    );
    expect(r.plan.files.get('/etc/app/app.conf')?.reasons).toContain(reason);
    expect(r.plan.trees.has('/srv/data')).toBe(false);
    expect(r.plan.files.has('/srv/data/big.bin')).toBe(false);
    expect(r.plan.dirs.get('/srv/data')).toMatchObject({ mode: 0o755 });
    expect(r.plan.dirs.get('/var/spool/app')).toMatchObject({ mode: 0o750 });
    expect(r.plan.files.has('/tmp/made-by-the-run')).toBe(false);
    expect(r.plan.files.has('/etc/shadow')).toBe(false);
    expect(r.notes.join('\n')).toMatch(/read \/etc\/shadow; it holds password hashes and is not copied/);
    // The scaffold writes the accounts; a traced read of the base's passwd does not replace them.
    expect(r.plan.files.has('/etc/passwd')).toBe(false);
  });

  it('a run that wrote where the base has no directory and it made none: a warning naming the directory and the volume to mount; one it made: none', () => {
    const reason = 'written by --trace-service';
    const r = generate(
      helloInput(root(), {
        traced: [
          { path: '/data/volume-only/x.db', use: 'written', reason },
          { path: '/var/spool/app/made', use: 'written', reason },
          { path: '/var/spool/app/made/y', use: 'written', reason },
        ],
      }),
    );
    const warned = r.warnings.filter((w) => /base does not have/.test(w));
    expect(warned).toEqual([
      expect.stringMatching(/^a traced run wrote into \/data\/volume-only, .*docker run's flag -v scratchify-data:\/data\/volume-only\)$/),
    ]);
    expect(r.plan.dirs.has('/data/volume-only')).toBe(false);
  });

  it("files named in the entrypoint's arguments are added with that reason, in both spellings", () => {
    const r = generate(helloInput(root(), { args: ['-c', '/etc/app/app.conf', '--data=/srv/data/big.bin', '--missing=/etc/none'] }));
    expect(r.plan.files.get('/etc/app/app.conf')?.reasons).toEqual(['named on the command line (/etc/app/app.conf)']);
    expect(r.plan.files.get('/srv/data/big.bin')?.reasons).toEqual(['named on the command line (--data=/srv/data/big.bin)']);
    expect(r.dockerfile).toMatch(/^ENTRYPOINT \["\/app\/hello","-c","\/etc\/app\/app.conf",/m);
  });

  it('directories named on the command line are carried whole, up to a size; top-level ones never', () => {
    const dir = helloRoot();
    mkdirSync(join(dir, 'srv/site/css'), { recursive: true });
    writeFileSync(join(dir, 'srv/site/index.html'), 'hi');
    writeFileSync(join(dir, 'srv/site/css/a.css'), 'x');
    mkdirSync(join(dir, 'var/lib/big'), { recursive: true });
    writeFileSync(join(dir, 'var/lib/big/blob'), Buffer.alloc(1));
    truncateSync(join(dir, 'var/lib/big/blob'), MAX_ARGUMENT_DIR_BYTES + 1);
    const r = generate(
      helloInput(openDirRoot(dir), { args: ['--root', '/srv/site', '-D', '/var/lib/big', '-C', '/srv', '--prefix=/var'] }),
    );
    expect(r.plan.trees.get('/srv/site')?.reasons).toEqual(['directory named on the command line (/srv/site)']);
    expect(r.plan.trees.has('/var/lib/big')).toBe(false);
    expect(r.warnings.join('\n')).toMatch(
      /\/var\/lib\/big is named on the command line but holds over 64 MiB: not copied; add it with --include \/var\/lib\/big/,
    );
    expect(r.plan.trees.has('/srv')).toBe(false);
    expect(r.plan.trees.has('/var')).toBe(false);
  });
});

describe('--exclude in the plan', () => {
  it('a tree that holds an excluded path is planned entry by entry, without it; the directory keeps its mode', () => {
    const dir = helloRoot();
    mkdirSync(join(dir, 'etc/app/conf.d'), { recursive: true });
    chmodSync(join(dir, 'etc/app'), 0o750);
    writeFileSync(join(dir, 'etc/app/main.conf'), 'x');
    writeFileSync(join(dir, 'etc/app/conf.d/keep.conf'), 'k');
    writeFileSync(join(dir, 'etc/app/conf.d/drop.conf'), 'd');
    const r = generate(helloInput(openDirRoot(dir), { includes: ['/etc/app'], excludes: ['/etc/app/conf.d/drop.conf'] }));
    expect(r.plan.trees.has('/etc/app')).toBe(false);
    expect(r.plan.files.has('/etc/app/main.conf')).toBe(true);
    expect(r.plan.files.has('/etc/app/conf.d/keep.conf')).toBe(true);
    expect(r.plan.files.has('/etc/app/conf.d/drop.conf')).toBe(false);
    expect(r.plan.dirs.get('/etc/app')).toMatchObject({ mode: 0o750 });
    expect(r.notes.join('\n')).toMatch(/--exclude left out 1 path: \/etc\/app\/conf.d\/drop.conf/);
  });
});
