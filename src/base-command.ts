import { Command } from '@oclif/core';
import { ScratchifyError, errorText } from './errors.js';

/** Turns a ScratchifyError into one line on stderr (or a JSON object with --json) and its exit code. */
export abstract class BaseCommand extends Command {
  protected async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof ScratchifyError) {
      if (this.jsonEnabled()) this.logJson({ error: err.toJSON() });
      else process.stderr.write(errorText(err));
      return this.exit(err.exitCode);
    }
    return super.catch(err);
  }
}
