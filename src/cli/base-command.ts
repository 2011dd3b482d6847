import { Command, Errors, Flags } from '@oclif/core';
import { ScratchifyError, errorText } from '../errors.js';
import type { Progress } from '../engine/image-cache.js';
import { knownError } from './known-error.js';
import { progressLine, sayLine } from './progress.js';
import { closest } from './suggest.js';

/**
 * The one place where what went wrong becomes what the user sees: every error a user can cause is a
 * ScratchifyError by here (one line and a hint on stderr, or a JSON object with --json, and its exit code).
 * oclif's own parse errors are usage errors; anything else is a bug of ours and keeps oclif's report.
 */
export function userError(err: unknown, command: string, flagNames: readonly string[] = []): ScratchifyError | undefined {
  const known = knownError(err);
  if (known) return known;
  if (err instanceof Errors.CLIError && !(err instanceof Errors.ExitError)) {
    const unknown = /^Nonexistent flags?: (.*)$/.exec(err.message.split('\n')[0]);
    if (unknown) {
      const flags = unknown[1].split(', ');
      const meant = flags.map((f) => [f, closest(f.replace(/^--?/, ''), flagNames)] as const).filter(([, m]) => m);
      const said =
        flags.length === 1 ? meant.map(([, m]) => `; did you mean --${m}?`) : meant.map(([f, m]) => `; did you mean --${m} for ${f}?`);
      return new ScratchifyError('USAGE', `no such flag: ${flags.join(', ')}${said.join('')}`, {
        hint: `see: scratchify ${command === 'generate' ? '' : `${command} `}--help`.replace('  ', ' '),
        cause: err,
      });
    }
    // oclif's message spans lines: "Missing 1 required arg:", one "name  description" line per argument,
    // a note on multiple-value flags, "See more help with --help". One line: the first, then the arguments.
    const [head, ...rest] = err.message
      .replace(/^The following errors? occurred:\s*/, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^See more help/.test(l));
    const note = rest.findIndex((l) => l.startsWith('Note:'));
    const args = rest.slice(0, note < 0 ? rest.length : note).map((l) => {
      const [name, ...desc] = l.split(/\s{2,}/);
      return desc.length ? `${name.toUpperCase()} (${desc.join(' ')})` : l;
    });
    const message = args.length ? `${head} ${args.join(', ')}` : head;
    return new ScratchifyError('USAGE', message, {
      hint: `see: scratchify ${command === 'generate' ? '' : `${command} `}--help`.replace('  ', ' '),
      cause: err,
    });
  }
  return undefined;
}

export abstract class BaseCommand extends Command {
  static baseFlags = {
    json: Flags.boolean({
      description: 'print the result, or the error, as one JSON object on stdout (nothing else on stdout)',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Both forms of a --[no-]flag on one command line: which one was meant is anyone's guess. */
  protected checkNegations(): void {
    const argv = this.argv.filter((_a, i) => !this.argv.slice(0, i).includes('--'));
    for (const a of argv) {
      const m = /^--no-([a-z-]+)$/.exec(a);
      if (m && argv.includes(`--${m[1]}`)) {
        throw new ScratchifyError('USAGE', `--${m[1]} and --no-${m[1]} together`, { hint: 'give one of them' });
      }
    }
  }

  /** Progress for long work, on stderr when it is a terminal and the output is not --json; else undefined. */
  protected progress(): Progress | undefined {
    return progressLine(this.jsonEnabled());
  }

  /** One line per phase of long work on stderr, terminal or not; nothing with --json. */
  protected say(): (line: string) => void {
    return sayLine(this.jsonEnabled());
  }

  protected async init(): Promise<void> {
    this.checkNegations();
    await super.init();
  }

  protected async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const user = userError(err, this.id ?? 'generate', Object.keys((this.constructor as typeof Command).flags ?? {}));
    if (user) {
      if (this.jsonEnabled()) this.logJson({ error: user.toJSON() });
      else process.stderr.write(errorText(user));
      return this.exit(user.exitCode);
    }
    return super.catch(err);
  }
}
