import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { positionals } from '../positionals.js';
import { sharedFlags } from '../flags.js';
import { whyChains } from '../../resolve/why.js';
import { openRoot } from '../../engine/open-root.js';
import { checkImageReference } from '../../engine/reference.js';
import { EXIT_CODES } from '../../errors.js';
import { isElf, loadAll } from '../../resolve/load.js';
import { Resolver } from '../../resolve/resolver.js';
import { profileFor } from '../../profiles/registry.js';
import { missingFix } from '../../doctor/missing.js';

export default class Why extends BaseCommand {
  static summary = 'Show every dependency chain from the binaries (and nginx modules) to LIB.';
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    lib: Args.string({ description: 'a soname (libgd.so.3), a file name or a path', required: true }),
    binary: Args.string({ description: 'programs inside the image or root', required: true }),
  };

  static flags = {
    base: sharedFlags.base({ exclusive: ['root'] }),
    root: sharedFlags.root(),
    include: sharedFlags.include(),
    engine: sharedFlags.engine(),
  };

  static examples = ['<%= config.bin %> why libtiff.so.6 /usr/sbin/nginx --base myorg/nginx-base:bookworm'];

  async run(): Promise<unknown> {
    const { args, flags, raw } = await this.parse(Why);
    const programs = positionals(raw).slice(1);
    const { root, engine: opened } = await openRoot({
      image: flags.base && checkImageReference('--base', flags.base),
      dir: flags.root,
      engine: flags.engine,
      progress: this.progress(),
    });
    const engine = opened?.name ?? flags.engine ?? 'docker';
    const includes = [...(flags.include ?? [])];
    const first = programs[0];
    const real = root.lookup(first)?.path;
    // A program that is not there is reported by the load below, with its own error.
    if (real) {
      const probe = new Resolver(root);
      includes.push(
        ...(profileFor(root, first, real, isElf(probe, root, real) ? root.readElf(real) : undefined)?.dlopen ?? [])
          .filter((m) => !m.ifElf || isElf(probe, root, m.path))
          .map((m) => m.path),
      );
    }
    const { maps } = loadAll(root, programs, includes);
    const { chains, missing, truncated } = whyChains(maps, args.lib);
    if (chains.length === 0) process.exitCode = EXIT_CODES.UNRESOLVED;
    // A library needed and not there: doctor's account of the first program that needs it, and its fix.
    const broken = missing.length > 0 ? missingFix(root, missing[0][0], { image: flags.base, dir: flags.root, engine }) : undefined;
    if (!this.jsonEnabled()) {
      const out: string[] = [];
      if (chains.length === 0 && missing.length === 0) out.push(`${args.lib}: no program here needs it`);
      for (const c of chains) out.push(c.join(' -> '));
      for (const c of missing) out.push(`${c.join(' -> ')} (missing: not in ${root.description})`);
      if (truncated) out.push(`... (first ${chains.length} chains)`);
      if (broken) out.push(...broken.lines);
      process.stdout.write(`${out.join('\n')}\n`);
    }
    return { lib: args.lib, chains, missing, truncated, fixCommand: broken?.command };
  }
}
