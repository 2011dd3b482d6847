import { realpathSync } from 'node:fs';
import { copyInstruction } from '../generate/dockerfile-words.js';
import { normalize, type Root } from '../rootfs/root.js';
import { shellLine, shellQuote } from '../shell-words.js';
import type { Placement } from './found-elsewhere.js';

/** Where the fixes go and come from, as the user named them. */
export interface FixTarget {
  /** The broken image, or the directory it was unpacked to. */
  image?: string;
  dir?: string;
  root: Root;
  /** The engine that builds the fixed image. */
  engine: string;
  base?: { image?: string; dir?: string; root: Root };
}

/** The fixed image's name: the broken one's repository with "-fixed" after its tag. */
export function fixedTag(image: string): string {
  const repo = image.replace(/@sha256:[0-9a-f]+$/, '');
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(repo)) return 'scratchify-fixed';
  const colon = repo.lastIndexOf(':');
  return colon > repo.lastIndexOf('/') ? `${repo}-fixed` : `${repo}:fixed`;
}

/**
 * One command that applies every fix and that runs as printed: for an image, a Dockerfile given on standard
 * input (no build context: every file comes from an image by COPY --from) that builds the fixed image; for a
 * directory, the copies made in it. Undefined when nothing is to be copied, when the copies need files no
 * command can name (fixes from a directory for an image), or the directory is this machine's own root.
 */
export function fixCommand(t: FixTarget, fromBase: Placement[], inTarget: Placement[]): string | undefined {
  if (fromBase.length + inTarget.length === 0) return undefined;
  if (t.image) {
    if (fromBase.length > 0 && !t.base?.image) return undefined;
    const lines = [
      `FROM ${t.image} AS broken`,
      ...(fromBase.length > 0 ? [`FROM ${t.base!.image} AS base`] : []),
      'FROM broken',
      ...fromBase.map((c) => copyInstruction('base', [c.from], c.to)),
      ...inTarget.map((c) => copyInstruction('broken', [c.from], c.to)),
    ];
    // One line each (a continuation joined): the command stays one line to paste.
    const flat = lines.map((l) => l.replace(/ \\\n\s*/g, ' '));
    return `printf '%s\\n' ${flat.map(shellQuote).join(' ')} | ${t.engine} build -t ${shellQuote(fixedTag(t.image))} -`;
  }
  // This machine's own root is no image to fix: copying into its system directories is not a command to paste.
  if (!t.dir || realpathSync(t.dir) === '/') return undefined;
  if (fromBase.length > 0 && !t.base?.dir) return undefined;
  const steps = [
    ...fromBase.map((c) => copyStep(t.base!.root, t.base!.dir!, c, t)),
    ...inTarget.map((c) => copyStep(t.root, t.dir!, c, t)),
  ];
  return steps.join(' && ');
}

/** `path` with its longest existing prefix resolved inside the root: what a host command may write to. */
function resolveInside(root: Root, path: string): string {
  const parts = normalize(path).split('/').filter(Boolean);
  for (let i = parts.length; i > 0; i--) {
    const real = root.lookup(`/${parts.slice(0, i).join('/')}`, i !== parts.length)?.path;
    if (real !== undefined) return [real === '/' ? '' : real, ...parts.slice(i)].join('/');
  }
  return `/${parts.join('/')}`;
}

/** mkdir and cp on this machine, each path resolved inside its root first so no link in it leads out. */
function copyStep(from: Root, fromDir: string, c: Placement, t: FixTarget): string {
  const src = from.resolve(c.from).path;
  const dest = resolveInside(t.root, c.to);
  const into = (dir: string, p: string) => `${dir.replace(/\/+$/, '')}${p}`;
  return `${shellLine(['mkdir', '-p', into(t.dir!, dest.slice(0, dest.lastIndexOf('/')) || '/')])} && ${shellLine(['cp', '--remove-destination', into(fromDir, src), into(t.dir!, dest)])}`;
}
