import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { OpenedRoot } from '../engine/open-root.js';
import { checkExpose } from '../generate/expose.js';
import { generate } from '../generate/generate.js';
import type { UsedPath } from '../additions.js';
import { appendFixes } from '../verify/fix-dockerfile.js';
import { type RoundSource, withAdded } from '../verify/rounds.js';
import { shapeFlags } from './generate-flags.js';
import { generateInput, type ShapeFlags, withUserStages } from './generate-input.js';
import { regenerateCommand } from './regenerate.js';
import type { LayeredImage } from '../image/read-base.js';
import { dockerArchiveOf } from '../image/write.js';
import { stageOf } from './job/source.js';

type Added = UsedPath[];

interface Request {
  flags: ShapeFlags & { output?: string };
  opened: OpenedRoot;
  program: string;
  extra: string[];
  traced: Added;
  /** -f: the user's Dockerfile, verified as it is (and fixed in a copy). */
  file?: string;
  /** --image: an image written already, verified as it is. */
  written?: LayeredImage;
  out?: string;
}

/**
 * What verify builds each round, as data (src/verify builds it), and what it writes to -o at the end. A generated
 * Dockerfile is planned exactly as generate plans it; a stage of the user's own Dockerfile is built from the
 * stage's image (built once already to read it), while -o gets the Dockerfile generate would write, the user's
 * stages included.
 */
export function verifyContexts(r: Request): {
  rounds: RoundSource;
  output: (added: Added) => { path: string; data: string | Buffer }[];
} {
  const dockerfileName = r.out ? basename(r.out) : 'Dockerfile';
  const scaffoldName = `${dockerfileName}.scaffold.tar`;
  if (r.written) {
    const written = r.written;
    return { rounds: { kind: 'image', archive: (tag) => dockerArchiveOf(written, tag) }, output: () => [] };
  }
  if (r.file) {
    const rounds: RoundSource = { kind: 'file', file: r.file, baseRef: r.flags.base ?? r.opened.image!.ref };
    return {
      rounds,
      output: (added) => (r.out ? [{ path: r.out, data: appendFixes(readFileSync(r.file!, 'utf8'), added, rounds.baseRef) }] : []),
    };
  }
  const input = (flags: ShapeFlags, include: string[]) =>
    generateInput(flags, r.opened, {
      program: r.program,
      args: r.extra,
      expose: (r.flags.expose ?? []).map(checkExpose),
      traced: r.traced,
      command: regenerateCommand(
        ['scratchify', r.program],
        { ...shapeFlags, output: { type: 'option' } },
        { ...r.flags, include },
        {
          pathFlags: ['output'],
          extra: r.extra,
        },
      ),
      dockerfileName,
      scaffoldName,
      carrier: 'copy',
    });
  // Built here, a stage is the base: the image scratchify built of it. Written, it is the user's stages.
  const built = stageOf(r.flags) ? { ...r.flags, dockerfile: undefined, target: undefined, base: r.opened.image!.ref } : r.flags;
  return {
    rounds: { kind: 'plan', input: input(built, r.flags.include ?? []) },
    output: (added) => {
      if (!r.out) return [];
      const include = [...(r.flags.include ?? []), ...added.filter((a) => a.use === 'read').map((a) => a.path)];
      const result = generate(withAdded(input(r.flags, include), added));
      return [
        { path: r.out, data: withUserStages(r.flags, result.dockerfile) },
        { path: `${r.out}.scaffold.tar`, data: result.scaffold },
      ];
    },
  };
}
