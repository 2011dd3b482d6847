import { randomBytes } from 'node:crypto';
import type { Leftovers } from './cleanup.js';
import type { Engine } from './engine.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs one command in a throw-away container, with no network (or another container's, `container:NAME`): the image's own ENTRYPOINT and USER unless
 * `entrypoint` or `user` say otherwise. A run past `timeout` seconds is killed; the container is always removed.
 */
export async function runContainer(
  engine: Engine,
  image: string,
  args: string[],
  options: { entrypoint?: string[]; user?: string; timeout?: number; network?: string; leftovers?: Leftovers; extraArgs?: string[] } = {},
): Promise<RunResult> {
  const name = `scratchify-run-${randomBytes(6).toString('hex')}`;
  options.leftovers?.container(name);
  const entry = options.entrypoint ? ['--entrypoint', options.entrypoint[0]] : [];
  const argv = [...(options.entrypoint?.slice(1) ?? []), ...args];
  const user = options.user ? ['--user', options.user] : [];
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      void engine.exec(['kill', name], { timeout: 30_000 });
    },
    (options.timeout ?? 60) * 1000,
  );
  try {
    const r = await engine.exec([
      'run',
      '--rm',
      '--name',
      name,
      '--network',
      options.network ?? 'none',
      ...user,
      ...(options.extraArgs ?? []),
      ...entry,
      image,
      ...argv,
    ]);
    return { ...r, timedOut };
  } finally {
    clearTimeout(timer);
    // --rm removes the container when it ends; a run that was killed at the time limit may still be ending.
    if (timedOut) await engine.exec(['rm', '-f', name], { timeout: 30_000 });
    options.leftovers?.forget(name);
  }
}
