import { ScratchifyError } from '../errors.js';
import type { Because } from '../additions.js';
import type { Root } from '../rootfs/root.js';

/** Where `/usr/bin/env NAME` looks, as env does with the default PATH of a container. */
const DEFAULT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const MAX_SCRIPT_HOPS = 4;

export interface Entry {
  /** ELF programs to load, each its own process: the interpreter chain of a script, or the binary itself. */
  programs: string[];
  /** Scripts on the way, copied as they are. */
  scripts: Because[];
  notes: string[];
}

/** The `#!` line of a file: interpreter and its optional argument; undefined when the file is not a script. */
function shebang(root: Root, path: string): [string, string | undefined] | undefined {
  const text = root.readText(path, 512);
  if (!text?.startsWith('#!')) return undefined;
  const [interp, arg] = text.slice(2).split('\n')[0].trim().split(/\s+/, 2);
  return interp ? [interp, arg] : undefined;
}

/**
 * A script given as the program starts its interpreter (the kernel reads `#!`), which may be another script
 * or `/usr/bin/env NAME` (found on PATH): every ELF program in that chain is loaded, every script copied.
 */
export function entryPrograms(root: Root, program: string): Entry {
  const out: Entry = { programs: [], scripts: [], notes: [] };
  let current = program;
  for (let hop = 0; hop <= MAX_SCRIPT_HOPS; hop++) {
    const sb = root.lookup(current) ? shebang(root, current) : undefined;
    if (!sb) {
      out.programs.push(current);
      return out;
    }
    const [interp, arg] = sb;
    out.scripts.push({ path: current, reason: hop === 0 ? 'the program (a script)' : 'interpreter script' });
    out.notes.push(`${current} is a script for ${interp}${arg ? ` ${arg}` : ''}: resolving ${interp}`);
    if (/(^|\/)env$/.test(interp) && arg) {
      out.programs.push(interp);
      const found = DEFAULT_PATH.map((d) => `${d}/${arg}`).find((p) => root.lookup(p)?.entry.type === 'file');
      if (!found)
        throw new ScratchifyError(
          'INPUT_NOT_FOUND',
          `${current}: "#!${interp} ${arg}" but ${arg} is on no PATH directory of ${root.description}`,
          { hint: 'install the interpreter in the base image' },
        );
      current = found;
    } else {
      current = interp;
    }
  }
  throw new ScratchifyError('BAD_ELF', `${program}: more than ${MAX_SCRIPT_HOPS} nested #! interpreters`, {
    hint: 'point at the real program',
  });
}
