import { basename } from 'node:path';
import { shellLine } from '../shell-words.js';

/** What regenerate needs of an oclif flag definition. */
export interface FlagDef {
  type: 'boolean' | 'option';
  default?: unknown;
  allowNo?: boolean;
  multiple?: boolean;
}

/**
 * The command line that regenerates an output, from the command's flag definitions and what was parsed: every
 * flag whose value differs from its default, in declaration order, so a flag added to the command appears here
 * without anyone remembering to list it. Output paths are written as the names the Dockerfile sits beside
 * (`pathFlags`), since the line is printed inside that Dockerfile.
 */
export function regenerateCommand(
  words: string[],
  defs: Readonly<Record<string, FlagDef>>,
  flags: Readonly<Record<string, unknown>>,
  options: { skip?: readonly string[]; pathFlags?: readonly string[]; extra?: readonly string[] } = {},
): string {
  const parts = [...words];
  for (const [name, def] of Object.entries(defs)) {
    if (options.skip?.includes(name)) continue;
    const value = flags[name];
    if (value === undefined || value === def.default) continue;
    if (def.type === 'boolean') {
      if (value === true) parts.push(`--${name}`);
      else if (def.allowNo) parts.push(`--no-${name}`);
      continue;
    }
    const asWritten = (v: string) => (options.pathFlags?.includes(name) && v !== '-' ? basename(v) : v);
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`--${name}`, asWritten(String(v)));
  }
  if (options.extra?.length) parts.push('--', ...options.extra);
  return shellLine(parts);
}
