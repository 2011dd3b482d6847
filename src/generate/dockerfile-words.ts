import { ScratchifyError } from '../errors.js';

/*
 * How BuildKit (and Buildah, through the same parser) reads a COPY path, in order:
 * 1. the line is split into words on whitespace (the plain form) or read as a JSON array;
 * 2. every word goes through shell-word processing (`shlex.ProcessWord`): quotes are removed, `$NAME` is
 *    expanded and a backslash escapes the next character, in both forms;
 * 3. a source that contains `*`, `?` or `[` (a backslash skipping the next character) is a glob, matched
 *    with Go's path.Match, where `\` escapes and `[...]` is a class; any other source is a literal path.
 * A path is therefore written by escaping for step 3 first (only when it would be a glob), then step 2.
 */

const GLOB_CHARS = /[*?[]/;
const WORD_SPECIAL = /[\\$'"]/g;

/**
 * True when COPY names exactly this path on every engine. Buildah (Podman 4) matches a source as a glob, then
 * matches each name it found as a glob again, so no escape survives `*`, `?`, `[` or `\\` there (BuildKit
 * would take the escaped glob below).
 */
export function addressableByCopy(path: string): boolean {
  return !/[*?[\\]/.test(path);
}

/** The glob that matches exactly this one path: each special character alone in a class, `\` escaped. */
export function globLiteral(path: string): string {
  if (!GLOB_CHARS.test(path)) return path;
  return path.replace(/[*?[\\]/g, (c) => (c === '\\' ? '\\\\' : `[${c}]`));
}

/** The word that shell-word processing turns back into `text`. */
export function shellWordLiteral(text: string): string {
  return text.replace(WORD_SPECIAL, (c) => `\\${c}`);
}

/** A path no Dockerfile can carry: a line break ends the instruction whatever the quoting. */
export function checkWritable(path: string): void {
  if (/[\n\r]/.test(path)) {
    throw new ScratchifyError('USAGE', `${JSON.stringify(path)}: a path with a newline cannot be written in a Dockerfile`, {
      hint: 'rename it in the base image',
    });
  }
}

/**
 * `COPY --from=FROM SRC... DEST`, one source per line so that a diff of the Dockerfile shows each file. The
 * plain form unless a path holds whitespace, which only the JSON-array form keeps inside one word.
 */
export function copyInstruction(from: string, sources: string[], dest: string): string {
  for (const p of [...sources, dest]) checkWritable(p);
  const words = [...sources.map((s) => shellWordLiteral(globLiteral(s))), shellWordLiteral(dest)];
  if (words.some((w) => /\s/.test(w))) {
    return `COPY --from=${from} [${words.map((w) => JSON.stringify(w)).join(', \\\n     ')}]`;
  }
  if (words.length === 2) return `COPY --from=${from} ${words.join(' ')}`;
  return `COPY --from=${from} \\\n${words.map((w) => `     ${w}`).join(' \\\n')}`;
}
