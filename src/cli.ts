import { execute } from '@oclif/core';

export { COMMANDS } from './commands/index.js';

// `scratchify BINARY ...` is the main job; anything that is not a subcommand goes to `generate`.
const SUBCOMMANDS = new Set(['resolve', 'generate', 'doctor', 'why', 'help']);

export async function main(argv: string[], dir: string): Promise<void> {
  const args = [...argv];
  const first = args[0];
  if (first !== undefined && !SUBCOMMANDS.has(first) && !['--help', '-h', '--version', '-v'].includes(first)) {
    args.unshift('generate');
  }
  await execute({ args, dir });
}
