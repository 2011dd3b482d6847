import { composeSnippet, dockerRunLine, kubernetesSnippet } from '../generate/hardening.js';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { checkBundleDir, writeBundleDir } from '../generate/bundle-write.js';
import type { GenerateResult } from '../generate/generate.js';
import { writeScaffoldTar } from '../generate/scaffold-tar.js';
import { cycloneDx, spdx } from '../packages/sbom.js';
import { sizeAttribution } from '../resolve/sizes.js';
import { parseImageTarget, type ImageTarget } from '../image/transport.js';
import { writeOciDir } from '../image/write.js';
import { builtImage, type ImageOutputs, imageOutputs, sourceDateEpoch } from './image-output.js';
import { checkOutputs, writeAtomically } from './output.js';

/** Where generate writes, decided and checked before any work. */
export interface OutputPaths {
  out?: string;
  /** 'archive' on this machine's own root: no image holds the files, so the archive carries the whole root. */
  carrier: 'copy' | 'archive';
  scaffoldPath: string;
  writeScaffold: boolean;
  bundlePath?: string;
  bundleTar: boolean;
  sbomPath?: string;
  /** --image: where the image itself is written. */
  image?: ImageTarget;
}

export function outputPaths(
  flags: {
    output?: string;
    base?: string;
    root?: string;
    dockerfile?: string;
    bundle?: string;
    sbom?: string;
    force?: boolean;
    image?: string;
  },
  json: boolean,
): OutputPaths {
  // `-o -` is stdout, as elsewhere on Unix, not a file named '-'.
  const out = flags.output && flags.output !== '-' ? resolvePath(flags.output) : undefined;
  const carrier = !flags.base && !flags.root && !flags.dockerfile ? 'archive' : 'copy';
  const suffix = carrier === 'archive' ? 'rootfs.tar' : 'scaffold.tar';
  const scaffoldPath = out ? join(dirname(out), `${basename(out)}.${suffix}`) : resolvePath(`scratchify.${suffix}`);
  const bundlePath = flags.bundle ? resolvePath(flags.bundle) : undefined;
  const bundleTar = bundlePath?.endsWith('.tar') ?? false;
  const image = flags.image !== undefined ? parseImageTarget(flags.image) : undefined;
  const imageFile = image?.kind === 'oci-archive' || image?.kind === 'docker-archive' ? image.path : undefined;
  // The archive goes beside a Dockerfile; without -o, --json, --bundle and --image are the whole output and write none.
  const writeScaffold = out !== undefined || (!json && !bundlePath && !image);
  const sbomPath = flags.sbom ? resolvePath(flags.sbom) : undefined;
  // The Dockerfile first: a missing directory is reported against the file the user named.
  checkOutputs([
    ...(out ? [out] : []),
    ...(writeScaffold ? [scaffoldPath] : []),
    ...(sbomPath ? [sbomPath] : []),
    ...(bundleTar && bundlePath ? [bundlePath] : []),
    ...(bundlePath ? [bundleSettingsPath(bundlePath)] : []),
    ...(imageFile ? [imageFile] : []),
  ]);
  if (bundlePath && !bundleTar) checkBundleDir(bundlePath, flags.force ?? false);
  if (image?.kind === 'oci') checkBundleDir(image.path, flags.force ?? false, `--image oci:${image.path}`);
  return { out, carrier, scaffoldPath, writeScaffold, bundlePath, bundleTar, sbomPath, image };
}

/** What generate writes, made and not yet written: files (all or none), and a bundle directory after them. */
export interface Outputs {
  files: { path: string; data: string | Buffer }[];
  bundleDir?: { path: string; entries: ReturnType<GenerateResult['bundle']>; force: boolean };
  image?: ImageOutputs;
}

/**
 * The outputs, as data: scaffold, Dockerfile, SBOM, a bundle archive and its settings, or a bundle directory's
 * entries (written by writeOutputs, after the files, since it is not one file).
 */
export function outputFiles(
  paths: OutputPaths,
  result: GenerateResult,
  dockerfile: string,
  meta: { program: string; base: string; source: string; expose: string[]; sbomFormat: string; tool: string; force?: boolean },
): Outputs {
  const files: { path: string; data: string | Buffer }[] = paths.writeScaffold ? [{ path: paths.scaffoldPath, data: result.scaffold }] : [];
  if (paths.out) files.push({ path: paths.out, data: dockerfile });
  if (paths.sbomPath) {
    const root = result.plan.root;
    const sbomInput = {
      root,
      report: result.packages ?? { packages: [], unowned: result.plan.copiedFiles() },
      program: meta.program,
      base: meta.base,
      epoch: sourceDateEpoch(),
      tool: meta.tool,
    };
    files.push({ path: paths.sbomPath, data: meta.sbomFormat === 'spdx' ? spdx(sbomInput) : cycloneDx(sbomInput) });
  }
  const about = runSettings(result, meta);
  const image = paths.image && imageOutputs(paths.image, [builtImage(result, about)]);
  if (image) files.push(...image.files);
  if (!paths.bundlePath) return { files, image };
  const entries = result.bundle();
  // The settings sit beside the root, not in it: `COPY --from=build /out/ /` must not bring them into the image.
  const { entrypoint, cmd, user, expose, env, workdir, stopSignal, volumes, healthcheck, platform } = about;
  const bundled = {
    entrypoint,
    cmd,
    user,
    expose,
    env,
    workdir,
    stopSignal,
    volumes,
    labels: result.kept?.labels ?? {},
    healthcheck,
    source: meta.source,
    platform,
  };
  files.push({ path: bundleSettingsPath(paths.bundlePath), data: `${JSON.stringify(bundled, null, 2)}\n` });
  if (paths.bundleTar) return { files: [...files, { path: paths.bundlePath, data: writeScaffoldTar(entries) }], image };
  return { files, bundleDir: { path: paths.bundlePath, entries, force: meta.force ?? false }, image };
}

/** What the image runs, as the Dockerfile's instructions set it: --bundle's settings and --image's config. */
export function runSettings(result: GenerateResult, meta: { expose: string[] }) {
  const k = result.kept;
  return {
    entrypoint: result.entrypoint,
    cmd: result.cmd ?? null,
    user: result.user,
    expose: [...new Set([...(k?.exposedPorts ?? []), ...meta.expose])],
    env: k?.env ?? [],
    workdir: k?.workingDir ?? null,
    stopSignal: k?.stopSignal ?? null,
    volumes: k?.volumes ?? [],
    healthcheck: k?.healthcheck ?? null,
    platform: result.platform ?? null,
  };
}

/** Writes the outputs, the files all or none, then a bundle directory; returns what the user should know. */
export function writeOutputs(o: Outputs): string[] {
  writeAtomically(o.files);
  if (o.image?.ociDir) writeOciDir(o.image.ociDir.path, o.image.ociDir.files, true);
  if (o.bundleDir && !writeBundleDir(o.bundleDir.path, o.bundleDir.entries, o.bundleDir.force).ownersKept)
    return ['not running as root: the bundle keeps modes but every file is owned by you'];
  return [];
}

/** Where --bundle's settings go: beside the directory or archive, named after it (/out.scratchify.json). */
export function bundleSettingsPath(bundle: string): string {
  return `${bundle.replace(/\/+$/, '')}.scratchify.json`;
}

/** generate's --json report: what went where and why. */
export function jsonReport(result: GenerateResult, paths: OutputPaths): Record<string, unknown> {
  const { plan } = result;
  return {
    dockerfile: paths.out ?? null,
    // Without -o the Dockerfile is written nowhere: --json carries its text.
    dockerfileText: result.dockerfile,
    scaffold: paths.writeScaffold ? paths.scaffoldPath : null,
    // Written nowhere, the archive the Dockerfile ADDs travels in the report: save it under this name to build.
    scaffoldArchive: paths.writeScaffold
      ? null
      : { name: basename(paths.scaffoldPath), base64: Buffer.from(result.scaffold).toString('base64') },
    bundle: paths.bundlePath ?? null,
    user: { name: result.runAs.name, uid: result.runAs.uid, gid: result.runAs.gid },
    users: result.users.map((u) => ({ name: u.name, uid: u.uid, gid: u.gid })),
    files: [...plan.files.values()].map((f) => ({ path: f.path, size: f.size, reasons: f.reasons })),
    trees: [...plan.trees.values()].map((t) => ({ path: t.path, reasons: t.reasons })),
    links: Object.fromEntries(plan.links),
    directories: [...plan.dirs.values()].map((d) => ({ path: d.path, mode: d.mode.toString(8), uid: d.uid, gid: d.gid, reason: d.reason })),
    go: result.go ?? null,
    packages: result.packages
      ? {
          packages: result.packages.packages.map((p) => ({ name: p.pkg.name, version: p.pkg.version, arch: p.pkg.arch, files: p.files })),
          unowned: result.packages.unowned,
        }
      : null,
    hardened: {
      ...result.hardened,
      dockerRun: dockerRunLine(result.hardened, '<image>'),
      kubernetes: kubernetesSnippet(result.hardened, '<image>'),
      compose: composeSnippet(result.hardened, '<image>'),
    },
    sizes: sizeAttribution(result.maps),
    notes: result.notes,
    warnings: [...result.warnings, ...result.details],
  };
}
