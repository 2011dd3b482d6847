import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { EXIT_CODES } from '../errors.js';
import { openDirRoot } from '../rootfs/open.js';
import { loadAll } from '../resolve/load.js';
import { missingOf, renderList, renderTree, toJson } from '../resolve/report.js';
import { formatBytes, sizeAttribution } from '../resolve/sizes.js';

export default class Resolve extends BaseCommand {
  static summary = 'List the shared objects a binary loads, found as the dynamic loader finds them, inside a root.';
  static description = `Walks PT_INTERP and DT_NEEDED with ld.so's search order (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, ld.so.cache, default directories), inside --root; never runs anything. Exit status 1 when something is not found.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'path of the program inside the root', required: true }),
  };

  static flags = {
    root: Flags.string({ char: 'r', description: 'directory to treat as / (default: this machine\'s /)', default: '/' }),
    include: Flags.string({ char: 'i', description: 'more ELF objects (path or glob inside the root), loaded as if dlopen\'ed by the first binary', multiple: true, default: [] }),
    format: Flags.string({ char: 'f', description: 'output format', options: ['tree', 'list', 'json'], default: 'tree' }),
    'library-path': Flags.string({ description: 'directories searched as LD_LIBRARY_PATH (colon separated)' }),
    hwcaps: Flags.string({ description: 'glibc-hwcaps subdirectories to prefer, best first (e.g. x86-64-v3,x86-64-v2); baseline by default' }),
  };

  static examples = [
    '<%= config.bin %> resolve /usr/bin/curl',
    "<%= config.bin %> resolve /usr/sbin/nginx --root ./rootfs --include '/usr/lib/nginx/modules/*.so' --format list",
  ];

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(Resolve);
    const started = performance.now();
    const root = openDirRoot(flags.root);
    const { resolver, maps } = loadAll(root, argv as string[], flags.include, {
      libraryPath: flags['library-path']?.split(':').filter(Boolean),
      hwcaps: flags.hwcaps?.split(',').filter(Boolean),
    });
    const missing = missingOf(maps);
    for (const w of resolver.warnings) process.stderr.write(`scratchify: warning: ${w}\n`);
    if (missing.length) process.exitCode = EXIT_CODES.UNRESOLVED;
    const json = this.jsonEnabled() || flags.format === 'json';
    if (!json) {
      process.stdout.write(flags.format === 'list' ? renderList(maps) : renderTree(maps));
      if (flags.format === 'tree' && flags.include.length > 0) {
        // What each root costs: a module that drags in tens of MB of codecs shows here.
        process.stdout.write('\nsize (alone / shared with the others):\n');
        for (const r of sizeAttribution(maps)) process.stdout.write(`  ${r.root}: ${formatBytes(r.alone)} / ${formatBytes(r.shared)} (${r.objects} objects)\n`);
      }
      for (const m of missing) process.stderr.write(`scratchify: ${m.name}: not found (needed by ${m.neededBy})\n`);
      return undefined;
    }
    const unique = new Set(maps.flatMap((m) => m.objects.map((o) => o.real)));
    const result = {
      root: root.description,
      programs: toJson(maps),
      missing,
      warnings: resolver.warnings,
      sizes: sizeAttribution(maps),
      stats: { objects: unique.size, bytesRead: root.bytesRead, ms: Math.round(performance.now() - started) },
    };
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return result;
  }
}
