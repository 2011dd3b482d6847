import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { shellLine } from '../shell-words.js';
import { stageOf } from './job/source.js';
import type { OpenedRoot } from '../engine/open-root.js';
import type { GenerateInput } from '../generate/generate.js';
import type { UsedPath } from '../additions.js';

/** generate's flags that shape the image (not where the outputs go), as oclif parsed them. */
export interface ShapeFlags {
  base?: string;
  root?: string;
  dockerfile?: string;
  target?: string;
  user?: string;
  include?: string[];
  exclude?: string[];
  'ca-certs'?: boolean;
  tz?: string;
  gconv?: boolean;
  'package-metadata'?: boolean;
  copyright?: boolean;
  'library-path'?: string;
  'base-config'?: boolean;
  references?: boolean;
  expose?: string[];
  engine?: string;
}

/** Where the files come from, in words, and the FROM the Dockerfile pins. */
export function describeSource(flags: ShapeFlags, opened: OpenedRoot): { source: string; baseRef?: string; baseComment?: string } {
  const { image } = opened;
  const stage = stageOf(flags);
  const source = stage
    ? `stage ${stage.target} of ${stage.dockerfile}`
    : image
      ? `image ${flags.base}`
      : flags.root
        ? `the directory ${flags.root}`
        : "this machine's root filesystem";
  // Read from files, the base is no image a build can pull: the Dockerfile says how to load it under a name.
  if (!stage && image && flags.base && isFileTransport(flags.base))
    return {
      source,
      baseRef: flags.base,
      baseComment: `${flags.base} is read from files: load it first (skopeo copy ${flags.base} docker-daemon:scratchify-base:latest), then build with --build-arg BASE=scratchify-base:latest`,
    };
  if (!stage && image?.pinned) return { source, baseRef: image.pinned };
  if (!stage && image?.repoDigests[0]) return { source, baseRef: image.repoDigests[0] };
  if (!stage && image)
    return { source, baseRef: flags.base, baseComment: `${flags.base} is image ${image.id}; it has no registry digest to pin` };
  return { source, baseRef: flags.base };
}

/** A base read from an OCI layout or an archive, which no engine or registry knows by name. */
const isFileTransport = (base: string) => /^(oci|oci-archive|docker-archive):/.test(base);

/** The generator's input from the parsed flags: the one place generate and verify turn flags into a plan. */
export function generateInput(
  flags: ShapeFlags,
  opened: OpenedRoot,
  request: {
    program: string;
    args: string[];
    expose: string[];
    traced: UsedPath[];
    command: string;
    dockerfileName: string;
    scaffoldName: string;
    carrier: 'copy' | 'archive';
  },
): GenerateInput {
  const { source, baseRef, baseComment } = describeSource(flags, opened);
  const stage = stageOf(flags) !== undefined;
  const keep = flags['base-config'] !== false && opened.image !== undefined;
  const digest = (opened.image?.pinned ?? opened.image?.repoDigests[0])?.split('@')[1];
  return {
    baseConfig: keep ? opened.image!.config : undefined,
    // A stage of the user's own Dockerfile is no image anyone can pull: it gets no base-image labels.
    baseName: keep && !stage && flags.base && !isFileTransport(flags.base) ? flags.base.replace(/^docker:\/\//, '') : undefined,
    baseDigest: keep && !stage ? digest : undefined,
    root: opened.root,
    program: request.program,
    args: request.args,
    includes: flags.include ?? [],
    excludes: flags.exclude ?? [],
    user: flags.user,
    expose: request.expose,
    baseRef,
    baseComment,
    fromStage: stageOf(flags)?.target,
    source,
    command: request.command,
    dockerfileName: request.dockerfileName,
    scaffoldName: request.scaffoldName,
    resolve: { libraryPath: flags['library-path']?.split(':').filter(Boolean) },
    runtime: { caCerts: flags['ca-certs'], tz: flags.tz, gconv: flags.gconv },
    traced: request.traced,
    references: flags.references,
    packages: { enabled: flags['package-metadata'], copyright: flags.copyright },
    carrier: request.carrier,
    engine: opened.engine?.name ?? (flags.engine === 'podman' ? 'podman' : undefined),
    platform: opened.image?.platform,
    explain: (program) => explainCommand(flags, opened, program),
  };
}

/** `scratchify doctor` for the source as the user named it: a stage is built under a name doctor can read. */
function explainCommand(flags: ShapeFlags, opened: OpenedRoot, program: string): string {
  const engine = opened.engine?.name ?? 'docker';
  const extra = [...(flags.include ?? []).flatMap((i) => ['--include', i]), ...(engine === 'podman' ? ['--engine', 'podman'] : [])];
  const stage = stageOf(flags);
  if (stage) {
    const tag = `scratchify-explain/${stage.target.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}`;
    const file = resolvePath(stage.dockerfile);
    const build = [engine, 'build', '-q', '-f', file, '--target', stage.target, '-t', tag, dirname(file)];
    return `${shellLine(build)} && ${shellLine(['scratchify', 'doctor', program, '--image', tag, ...extra])}`;
  }
  const where = opened.image && flags.base ? ['--image', flags.base] : ['--root', flags.root ?? '/'];
  return shellLine(['scratchify', 'doctor', program, ...where, ...extra]);
}

/** With --dockerfile, the scratch stage is appended to the user's own stages. */
export function withUserStages(flags: ShapeFlags, dockerfile: string): string {
  const stage = stageOf(flags);
  if (!stage) return dockerfile;
  return `${readFileSync(stage.dockerfile, 'utf8').replace(/\n*$/, '\n')}\n${dockerfile}`;
}
