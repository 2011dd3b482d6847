import { copyInstruction } from '../generate/dockerfile-words.js';
import { MAX_SOURCES_PER_COPY } from '../generate/dockerfile.js';
import { parentOf } from '../generate/plan.js';
import type { UsedPath } from '../additions.js';

type Added = UsedPath[];

/** The stage a fixed Dockerfile copies what it lacked from, when the user's has none of the base. */
export const FIX_STAGE = 'scratchify-fix';

/**
 * The stage of the user's the fixes copy from, instead of a second stage of the same image: one that is the base
 * (`FROM REF AS name`, or `FROM ${BASE} AS name` with a global `ARG BASE=REF`), else the stage the last one
 * already copies from most.
 */
function baseStage(lines: string[], last: number, baseRef: string): string | undefined {
  const stages = new Set<string>();
  const args = new Map<string, string>();
  for (const l of lines) {
    const arg = /^\s*ARG\s+(\w+)=(\S+)\s*$/i.exec(l);
    if (arg) args.set(arg[1], arg[2].replace(/^"(.*)"$/, '$1'));
    const from = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)\s+AS\s+(\S+)\s*$/i.exec(l);
    if (!from) continue;
    stages.add(from[2].toLowerCase());
    const ref = from[1].replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args.get(name) ?? _);
    if (ref === baseRef) return from[2];
  }
  const counts = new Map<string, number>();
  for (const l of lines.slice(last)) {
    const name = /^\s*COPY\s+.*--from=(\S+)/i.exec(l)?.[1];
    if (name && stages.has(name.toLowerCase())) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

const summary = (reasons: string[]) => {
  const unique = [...new Set(reasons)];
  return unique.length > 2 ? `${unique.slice(0, 2).join('; ')}; and ${unique.length - 2} more` : unique.join('; ');
};

/**
 * A Dockerfile of the user's with what --fix found added at the end, copied from the user's own stage of the
 * base when there is one (else from a stage of the base put before the last FROM): files grouped by directory
 * as generate groups them, and a directory the run listed or created something in copied whole (a Dockerfile
 * alone cannot create an empty directory with the base's mode).
 */
export function appendFixes(text: string, added: Added, baseRef: string): string {
  const lines = text.replace(/\n*$/, '\n').split('\n');
  const last = lines.reduce((at, l, i) => (/^\s*FROM\s/i.test(l) ? i : at), -1);
  let from = last >= 0 ? baseStage(lines, last, baseRef) : undefined;
  if (!from) {
    from = FIX_STAGE;
    const stage = [`# scratchify verify --fix: the image the missing files come from`, `FROM ${baseRef} AS ${FIX_STAGE}`, ''];
    if (last >= 0) lines.splice(last, 0, ...stage);
  }
  const files = new Map<string, Added>();
  const copies: string[] = [];
  for (const a of added) {
    if (a.use === 'read') {
      const dir = parentOf(a.path);
      files.set(dir, [...(files.get(dir) ?? []), a]);
      continue;
    }
    const path = `${a.use === 'written' ? parentOf(a.path) : a.path}/`;
    const why = a.use === 'written' ? `${a.path.slice(parentOf(a.path).length + 1)} was created there ${a.reason}` : a.reason;
    copies.push(`# ${why}\n${copyInstruction(from, [path], path)}`);
  }
  for (const [dir, group] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    group.sort((a, b) => (a.path < b.path ? -1 : 1));
    for (let i = 0; i < group.length; i += MAX_SOURCES_PER_COPY) {
      const chunk = group.slice(i, i + MAX_SOURCES_PER_COPY);
      const sources = chunk.map((a) => a.path);
      const line =
        sources.length === 1 ? copyInstruction(from, sources, sources[0]) : copyInstruction(from, sources, dir === '/' ? '/' : `${dir}/`);
      copies.push(`# ${summary(chunk.map((a) => a.reason))}\n${line}`);
    }
  }
  return `${lines.join('\n').replace(/\n*$/, '\n')}${copies.join('\n')}\n`;
}
