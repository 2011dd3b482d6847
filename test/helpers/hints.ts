import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN } from './paths.js';

/** A directory holding `scratchify` as an installed command, for running what the tool prints as a user would. */
const onPath = (() => {
  const dir = join(mkdtempSync(join(tmpdir(), 'scratchify-path-')), 'bin');
  mkdirSync(dir);
  symlinkSync(BIN, join(dir, 'scratchify'));
  return dir;
})();

/** The command after "PREFIX" in a printed line (a hint, a "fix it with:"), exactly as printed. */
export function printedCommand(text: string, prefix: string): string {
  const line = text.split('\n').find((l) => l.includes(prefix));
  if (!line) throw new Error(`no line with ${JSON.stringify(prefix)} in:\n${text}`);
  return line.slice(line.indexOf(prefix) + prefix.length).trim();
}

/** Runs a printed command in a POSIX shell, `scratchify` on PATH, as pasted into a terminal. */
export async function runPrinted(command: string, cwd?: string) {
  return execa('sh', ['-c', command], { reject: false, all: true, cwd, env: { PATH: `${onPath}:${process.env.PATH}` } });
}
