import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { UsedPath } from '../additions.js';
import { type GenerateInput, type GenerateResult, generate } from '../generate/generate.js';
import type { Hardened } from '../generate/hardening.js';
import { appendFixes } from './fix-dockerfile.js';

/** A build context: the Dockerfile and the files beside it. */
export interface Context {
  /** A context of the user's, built where it is; else the files below are written to a temporary one. */
  dir?: string;
  dockerfileName: string;
  /** The Dockerfile (named dockerfileName) and the files beside it. */
  files: { name: string; data: string | Buffer }[];
  /** The Dockerfile is among the temporary files, while the context is `dir` (a user's Dockerfile, fixed). */
  dockerfileInTemp?: boolean;
  /** An image written already (--image): loaded into the engine under the round's tag instead of built. */
  archive?: (tag: string) => Buffer;
  /** What the plan knows of the service: where it makes its unix sockets, and the user it runs as (USER, and by name). */
  service?: { sockets: string[]; uid: string; user: string; hardened: Hardened };
}

/**
 * What verify builds in each round, as data: a Dockerfile of the user's, verified as it is and fixed in a copy
 * (-f), the plan generate makes from `input`, with what --fix added each round, or an image written already.
 */
export type RoundSource =
  | { kind: 'file'; file: string; baseRef: string }
  | { kind: 'plan'; input: GenerateInput }
  | { kind: 'image'; archive: (tag: string) => Buffer };

/** A plan's input with what --fix added: files a run read as --include, directories it used or wrote as traced uses. */
export function withAdded(input: GenerateInput, added: readonly UsedPath[]): GenerateInput {
  return {
    ...input,
    includes: [...input.includes, ...added.filter((a) => a.use === 'read').map((a) => a.path)],
    traced: [...(input.traced ?? []), ...added.filter((a) => a.use !== 'read')],
  };
}

/** What a plan tells verify of the service it starts: its socket directories and who it runs as. */
export function serviceHints(result: GenerateResult): NonNullable<Context['service']> {
  return {
    sockets: (result.profile?.sockets ?? []).map((d) => result.plan.realPath(d)),
    uid: result.user,
    user: result.runAs.name,
    hardened: result.hardened,
  };
}

/** The build context of one round, given what --fix has added so far (nothing in the first round). */
export function roundContext(source: RoundSource, added: readonly UsedPath[]): Context {
  if (source.kind === 'image') return { dockerfileName: '', files: [], archive: source.archive };
  if (source.kind === 'file') {
    const { file } = source;
    if (added.length === 0) return { dir: dirname(file), dockerfileName: basename(file), files: [] };
    const name = `${basename(file)}.fixed`;
    const data = appendFixes(readFileSync(file, 'utf8'), [...added], source.baseRef);
    return { dir: dirname(file), dockerfileName: name, dockerfileInTemp: true, files: [{ name, data }] };
  }
  const input = withAdded(source.input, added);
  const result = generate(input);
  return {
    service: serviceHints(result),
    dockerfileName: input.dockerfileName,
    files: [
      { name: input.dockerfileName, data: result.dockerfile },
      { name: input.scaffoldName, data: result.scaffold },
    ],
  };
}
