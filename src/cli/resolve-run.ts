import type { FlagSpecs } from './fast/parse.js';
import { SHARED_FLAGS, shared } from './shared-flags.js';
import { EXIT_CODES } from '../errors.js';
import { openDirRoot } from '../rootfs/open.js';
import type { Root } from '../rootfs/root.js';
import { loadAll } from '../resolve/load.js';
import { missingOf, renderList, renderTree, toJson } from '../resolve/report.js';
import { formatBytes, sizeAttribution } from '../resolve/sizes.js';

/** `scratchify resolve`'s flags, shared by the oclif command and the start-up path (src/cli/fast/resolve.ts). */
export const RESOLVE_FLAGS = {
  root: shared('root', { default: '/' }),
  include: SHARED_FLAGS.include,
  format: { char: 'f', description: 'output format', options: ['tree', 'list', 'json'], default: 'tree' },
  'library-path': SHARED_FLAGS['library-path'],
  hwcaps: { description: 'glibc-hwcaps subdirectories to prefer, best first (e.g. x86-64-v3,x86-64-v2); baseline by default' },
} as const satisfies FlagSpecs;

export interface ResolveRequest {
  programs: string[];
  /** A directory to treat as /, or a root already opened (an image, through the engine). */
  root: string | Root;
  include: string[];
  format: string;
  libraryPath?: string;
  hwcaps?: string;
  /** oclif's --json: the result is returned for oclif to print instead of written here. */
  jsonFlag?: boolean;
}

/** Runs `scratchify resolve`: writes the report, sets exit status 1 when something is missing, returns the JSON. */
export function runResolve(req: ResolveRequest): Record<string, unknown> | undefined {
  const started = performance.now();
  const root = typeof req.root === 'string' ? openDirRoot(req.root) : req.root;
  const { resolver, maps } = loadAll(root, req.programs, req.include, {
    libraryPath: req.libraryPath?.split(':').filter(Boolean),
    hwcaps: req.hwcaps?.split(',').filter(Boolean),
  });
  const missing = missingOf(maps);
  for (const w of resolver.warnings) process.stderr.write(`scratchify: warning: ${w}\n`);
  if (missing.length) process.exitCode = EXIT_CODES.UNRESOLVED;
  if (!req.jsonFlag && req.format !== 'json') {
    process.stdout.write(req.format === 'list' ? renderList(maps) : renderTree(maps));
    if (req.format === 'tree' && req.include.length > 0) {
      // What each root costs: a module that drags in tens of MB of codecs shows here.
      process.stdout.write('\nsize (alone / shared with the others):\n');
      for (const r of sizeAttribution(maps))
        process.stdout.write(`  ${r.root}: ${formatBytes(r.alone)} / ${formatBytes(r.shared)} (${r.objects} objects)\n`);
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
  if (!req.jsonFlag) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result;
}
