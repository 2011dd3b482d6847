#!/usr/bin/env node
import { execute } from '@oclif/core';

// `scratchify BINARY ...` is the main job; anything that is not a subcommand goes to `generate`.
const SUBCOMMANDS = new Set(['resolve', 'generate', 'help']);
const args = process.argv.slice(2);
const first = args[0];
if (first !== undefined && !SUBCOMMANDS.has(first) && !['--help', '-h', '--version', '-v'].includes(first)) {
  args.unshift('generate');
}
await execute({ args, dir: import.meta.url });
