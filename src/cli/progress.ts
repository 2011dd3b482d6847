import type { Progress } from '../engine/image-cache.js';

/** Progress for long work, on stderr when it is a terminal and the output is not --json; else undefined. */
export function progressLine(json: boolean): Progress | undefined {
  if (!process.stderr.isTTY || json) return undefined;
  // Each line replaces the one before; the last stays, on a line of its own.
  return (line, last) => process.stderr.write(`\r\x1b[Kscratchify: ${line}${last ? '\n' : ''}`);
}

/** One line per phase of long work on stderr, terminal or not; nothing with --json. */
export function sayLine(json: boolean): (line: string) => void {
  return (line) => {
    if (!json) process.stderr.write(`scratchify: ${line}\n`);
  };
}
