import { execute } from '@oclif/core';
import { COMMANDS } from './commands/index.js';
import { ScratchifyError, errorText } from '../errors.js';
import { closest } from './suggest.js';

export { COMMANDS };

const EXAMPLES = [
  'scratchify /usr/sbin/nginx --base myorg/nginx-base:bookworm -o Dockerfile --sbom sbom.cdx.json',
  'scratchify /app/server --dockerfile Dockerfile --target build -o Dockerfile.scratch',
  'scratchify doctor /app/server --image myorg/app:scratch --base myorg/app-builder',
];

/** Top-level help: the main job's form first (it is what people run), then the commands, from the command map. */
export function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const commands = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.replace(':', ' ').padEnd(width)}  ${c.summary ?? ''}${name === 'generate' ? ' (the default command)' : ''}`,
  );
  return [
    'Turn a dynamic Linux binary inside a container image into a minimal FROM scratch image that still works.',
    '',
    'USAGE',
    '  $ scratchify BINARY [--base IMAGE | --root DIR] [-o FILE] [FLAGS] [-- ARGS...]',
    '  $ scratchify COMMAND [ARGS] [FLAGS]',
    '',
    'EXAMPLES',
    ...EXAMPLES.map((e) => `  $ ${e}`),
    '',
    'COMMANDS',
    ...commands,
    '',
    'Flags of the main job: scratchify generate --help. Each command: scratchify COMMAND --help (or -h).',
    '',
  ].join('\n');
}

/**
 * `scratchify BINARY ...` is the main job; anything that is not a command goes to `generate`. `help [COMMAND]`
 * is `COMMAND --help`; no arguments, `--help`, `-h` or `help` alone print the top-level help.
 */
export async function main(argv: string[], dir: string): Promise<void> {
  let args = [...argv];
  const names = Object.keys(COMMANDS).map((c) => c.replace(':', ' '));
  const refuse = (what: string, meant?: string) => {
    const e = new ScratchifyError('USAGE', `${what}: no such command${meant ? `; did you mean ${meant}?` : ''}`, {
      hint: `the commands are ${names.join(', ')}`,
    });
    // --json (before any --) asks for the error as the documented object on stdout, as every command gives it.
    const json = args.slice(0, args.includes('--') ? args.indexOf('--') : args.length).includes('--json');
    if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
    else process.stderr.write(errorText(e));
    process.exitCode = e.exitCode;
  };
  if (args[0] === 'help' && args.length > 1 && !Object.hasOwn(COMMANDS, args[1])) return refuse(`help ${args[1]}`);
  // A topic (cache) followed by a word that names none of its commands.
  const topic = args[0] !== undefined && Object.keys(COMMANDS).some((c) => c.startsWith(`${args[0]}:`));
  if (topic && args[1] !== undefined && !args[1].startsWith('-') && !Object.hasOwn(COMMANDS, `${args[0]}:${args[1]}`))
    return refuse(`${args[0]} ${args[1]}`, closest(`${args[0]} ${args[1]}`, names));
  // A word that is no path and nearly a command's name is a typo, not a program: say so before any work (the main
  // job would otherwise export a whole image looking for "verfy").
  const first = args[0];
  if (first !== undefined && !first.startsWith('-') && !first.includes('/') && !Object.hasOwn(COMMANDS, first) && first !== 'help') {
    const meant = closest(first, names);
    if (meant) return refuse(first, meant);
  }
  if (args[0] === 'help') args = args.length > 1 ? [args[1], '--help'] : [];
  if (args.length === 0 || (args.length === 1 && ['--help', '-h'].includes(args[0]))) {
    process.stdout.write(topHelp());
    return;
  }
  if (!Object.hasOwn(COMMANDS, args[0]) && !['--version', '-v'].includes(args[0])) args.unshift('generate');
  await execute({ args, dir });
}
