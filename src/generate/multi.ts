import type { GenerateResult } from './generate.js';

/** The stage-name suffix BuildKit's and Buildah's TARGETARCH and TARGETVARIANT spell for a platform: arm64, armv7. */
export function platformKey(platform: string): string {
  const [, arch, variant] = platform.split('/');
  return `${arch}${variant ?? ''}`;
}

/**
 * One Dockerfile for several platforms of one multi-platform base: a base stage and a scratch stage per platform,
 * each with its own COPY lines, scaffold archive and run configuration (as generate made them, one platform at a
 * time), and a last stage that picks the one the build is for from TARGETARCH and TARGETVARIANT. A build for
 * several platforms makes a manifest list; a build for one makes that platform's image.
 */
export function renderMulti(results: { platform: string; result: GenerateResult }[], dockerfileName: string): string {
  const first = results[0].result.dockerfile.split('\n');
  const platforms = results.map((r) => r.platform).join(',');
  const header = [
    first[0],
    first[1],
    `# Build every platform, in the directory that holds this file and its scaffold archives, with Podman or buildx:`,
    `#   podman build --platform ${platforms} --manifest NAME -f ${dockerfileName} .`,
    `#   docker buildx build --platform ${platforms} -t NAME -f ${dockerfileName} .`,
    `# One platform (BuildKit or Podman): DOCKER_BUILDKIT=1 docker build --platform ${results[results.length - 1].platform} -f ${dockerfileName} .`,
  ];
  const argAt = first.findIndex((l) => l.startsWith('ARG BASE'));
  const comment = argAt > 0 && first[argAt - 1].startsWith('# ') && !first[argAt - 1].startsWith('# Build') ? [first[argAt - 1]] : [];
  // Buildah (Podman 4.3) expands TARGETARCH in FROM only when it is declared in the global scope; BuildKit 0.8
  // (Docker 20.10) predefines it there, and a bare declaration empties it. A declaration whose default is the
  // predefined value reads right in both, so one file builds with either (measured with both).
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the builders' own platform ARGs
  const declare = ['ARG TARGETARCH=${TARGETARCH}', 'ARG TARGETVARIANT=${TARGETVARIANT}'];
  const lines = [...header, ...comment, first[argAt], ...declare];
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG, expanded by the builder
  const baseArg = '${BASE}';
  for (const { platform } of results) lines.push(`FROM --platform=${platform} ${baseArg} AS base-${platformKey(platform)}`);
  for (const { platform, result } of results) {
    const text = result.dockerfile.split('\n');
    const body = text.slice(text.indexOf('FROM scratch') + 1).join('\n');
    const key = platformKey(platform);
    lines.push(
      '',
      `# ${platform}`,
      `FROM scratch AS scratchify-${key}`,
      body.replaceAll('COPY --from=base ', `COPY --from=base-${key} `).replace(/\n+$/, ''),
    );
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the builder's own platform ARGs
  lines.push('', '# The platform the build is for.', 'FROM scratchify-${TARGETARCH}${TARGETVARIANT}', '');
  return lines.join('\n');
}
