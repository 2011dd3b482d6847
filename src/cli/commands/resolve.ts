import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { positionals } from '../positionals.js';
import { multipleFlag, sharedFlags, singleFlag } from '../flags.js';
import { openRoot } from '../../engine/open-root.js';
import { checkImageReference } from '../../engine/reference.js';
import { RESOLVE_FLAGS as F, runResolve } from '../resolve-run.js';

export default class Resolve extends BaseCommand {
  static summary = 'List the shared objects a binary loads, found as the dynamic loader finds them, inside a root.';
  static description =
    `Walks PT_INTERP and DT_NEEDED with ld.so's search order (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, ld.so.cache, default directories), inside --root; never runs anything. Exit status 1 when something is not found.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'path of the program inside the root', required: true }),
  };

  static flags = {
    root: singleFlag(F.root, { exclusive: ['base'] }),
    base: sharedFlags.base(),
    engine: sharedFlags.engine(),
    include: multipleFlag(F.include),
    format: singleFlag(F.format),
    'library-path': singleFlag(F['library-path']),
    hwcaps: singleFlag(F.hwcaps),
  };

  static examples = [
    '<%= config.bin %> resolve /usr/bin/curl',
    "<%= config.bin %> resolve /usr/sbin/nginx --root ./rootfs --include '/usr/lib/nginx/modules/*.so' --format list",
  ];

  async run(): Promise<unknown> {
    const { flags, raw } = await this.parse(Resolve);
    const root = flags.base
      ? (await openRoot({ image: checkImageReference('--base', flags.base), engine: flags.engine, progress: this.progress() })).root
      : flags.root;
    return runResolve({
      programs: positionals(raw),
      root,
      include: flags.include ?? [],
      format: flags.format,
      libraryPath: flags['library-path'],
      hwcaps: flags.hwcaps,
      jsonFlag: this.jsonEnabled(),
    });
  }
}
