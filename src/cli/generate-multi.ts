import { basename, dirname, join } from 'node:path';
import { detectEngine, type EngineName } from '../engine/engine.js';
import { openImageRoot, type Progress } from '../engine/image-cache.js';
import { imageFor, type OpenedRoot } from '../engine/open-root.js';
import { atDigest, manifestList } from '../engine/registry.js';
import { isTransport, openLayeredRoot } from '../engine/layered-root.js';
import { ScratchifyError } from '../errors.js';
import type { GenerateResult } from '../generate/generate.js';
import { platformKey, renderMulti } from '../generate/multi.js';
import { sizeSummary } from '../generate/summary.js';
import { cycloneDx, spdx } from '../packages/sbom.js';
import type { GenerateFlags } from './generate-flags.js';
import { jsonReport, type OutputPaths, runSettings } from './generate-outputs.js';
import { builtImage, imageOutputs, imageWritten, sourceDateEpoch } from './image-output.js';
import { writeOciDir } from '../image/write.js';
import { writeAtomically } from './output.js';

type Planned = { result: GenerateResult; traceWarnings: string[]; traceNotes: string[] };

/** `sbom.cdx.json` for linux/arm64 is `sbom.arm64.cdx.json`: one SBOM per platform, each of its own packages. */
function perPlatform(path: string, key: string): string {
  const name = basename(path);
  const dot = name.indexOf('.');
  return join(dirname(path), dot < 0 ? `${name}.${key}` : `${name.slice(0, dot)}.${key}${name.slice(dot)}`);
}

/**
 * --platform A,B: every platform of a multi-platform base in a registry, each resolved and planned on its own
 * (its files, sizes, package metadata and SBOM), into one Dockerfile that builds them all; the base pinned to the
 * list's digest.
 */
export async function generateForPlatforms(
  o: {
    flags: GenerateFlags;
    platforms: string[];
    paths: OutputPaths;
    say: (line: string) => void;
    json: boolean;
    progress?: Progress;
    tool: string;
    expose: string[];
  },
  plan: (opened: OpenedRoot, scaffoldName: string) => Promise<Planned>,
): Promise<unknown> {
  const { flags, platforms, paths } = o;
  if (!flags.base || flags.root || flags.dockerfile || paths.bundlePath)
    throw new ScratchifyError(
      'USAGE',
      `--platform ${platforms.join(',')}: several platforms need --base, a multi-platform image in a registry`,
      {
        hint: 'name the image by its registry reference; --root, --dockerfile and --bundle make one platform',
      },
    );
  // Without an engine (--engine none, or docker://), each platform's image is read from the registry itself.
  const noEngine = flags.engine === 'none' || flags.base.startsWith('docker://');
  const ref = flags.base.replace(/^docker:\/\//, '');
  if (isTransport(flags.base) && !flags.base.startsWith('docker://'))
    throw new ScratchifyError(
      'USAGE',
      `--platform ${platforms.join(',')}: several platforms are read from a registry, not from ${flags.base}`,
      {
        hint: 'push the base to a registry (skopeo copy --all) and give --base docker://NAME:TAG',
      },
    );
  const engine = noEngine ? undefined : await detectEngine(flags.engine as EngineName | undefined);
  const list = await manifestList(ref);
  if (!list)
    throw new ScratchifyError('PLATFORM_MISMATCH', `--platform ${platforms.join(',')}: ${flags.base} is a single-platform image`, {
      hint: 'name a multi-platform image (a manifest list) in a registry, or one --platform',
    });
  const dockerfileName = paths.out ? basename(paths.out) : 'Dockerfile';
  const planned: { platform: string; result: GenerateResult; planned: Planned }[] = [];
  for (const platform of platforms) {
    o.say(`planning ${platform}`);
    let opened: OpenedRoot;
    if (engine) {
      const image = await imageFor(engine, flags.base, platform);
      opened = { root: await openImageRoot(engine, image, o.progress), image, engine };
    } else {
      const read = await openLayeredRoot(flags.base, platform, o.progress);
      const entry = list.platforms.find((p) => p.platform === platform);
      // Pinned as an engine's pull would pin it: the list's digest, and this platform's own.
      opened = {
        root: read.root,
        image: { ...read.image, ref, pinned: atDigest(ref, list.digest), platformRef: entry && atDigest(ref, entry.digest) },
      };
    }
    const p = await plan(opened, `${dockerfileName}.${platformKey(platform)}.scaffold.tar`);
    planned.push({ platform, result: p.result, planned: p });
  }
  const dockerfile = renderMulti(planned, dockerfileName);
  const dir = paths.out ? dirname(paths.out) : process.cwd();
  // Scaffolds go beside a Dockerfile: with --image and no -o there is none to go beside.
  const files: { path: string; data: string | Buffer }[] = (paths.out || !paths.image ? planned : []).map((p) => ({
    path: join(dir, `${dockerfileName}.${platformKey(p.platform)}.scaffold.tar`),
    data: p.result.scaffold,
  }));
  if (paths.out) files.push({ path: paths.out, data: dockerfile });
  if (paths.sbomPath) {
    for (const p of planned) {
      const input = {
        root: p.result.plan.root,
        report: p.result.packages ?? { packages: [], unowned: p.result.plan.copiedFiles() },
        program: flags.base,
        base: `${flags.base} (${p.platform})`,
        epoch: sourceDateEpoch(),
        tool: o.tool,
      };
      files.push({
        path: perPlatform(paths.sbomPath, platformKey(p.platform)),
        data: flags['sbom-format'] === 'spdx' ? spdx(input) : cycloneDx(input),
      });
    }
  }
  if (paths.image) for (const p of planned) await p.result.prefetch();
  // --image: every platform's image, and their index (the job let through only transports that hold one).
  const image =
    paths.image &&
    imageOutputs(
      paths.image,
      planned.map((p) => builtImage(p.result, runSettings(p.result, { expose: o.expose }))),
    );
  writeAtomically([...files, ...(image?.files ?? [])]);
  if (image?.ociDir) writeOciDir(image.ociDir.path, image.ociDir.files, true);
  // Several platforms are never loaded into an engine (the job refused it): no engine is asked for.
  const written = image && paths.image && (await imageWritten(image, paths.image, async () => engine ?? detectEngine()));
  if (written && !o.json) o.say(written.said);
  if (!paths.out && !paths.image && !o.json) process.stdout.write(dockerfile);
  for (const p of planned) {
    for (const n of [...p.planned.traceNotes, ...p.result.notes]) o.say(`[${p.platform}] ${n}`);
    for (const w of [...p.planned.traceWarnings, ...p.result.warnings]) process.stderr.write(`scratchify: warning: [${p.platform}] ${w}\n`);
    if (!o.json) for (const l of sizeSummary(p.result)) o.say(`[${p.platform}] ${l}`);
  }
  return {
    dockerfile: paths.out ?? null,
    dockerfileText: dockerfile,
    base: { list: list.digest, platforms: list.platforms },
    platforms: planned.map((p) => ({ platform: p.platform, ...jsonReport(p.result, { ...paths, writeScaffold: true }) })),
    ...(written ? { image: written.report } : {}),
  };
}
