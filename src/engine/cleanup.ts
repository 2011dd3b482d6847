import { rmSync } from 'node:fs';
import type { Engine } from './engine.js';

/**
 * How many times (a quarter second apart) Ctrl-C looks for the images a killed build left untagged: Docker 20.10's
 * classic builder was seen to commit step images for two seconds after its client died.
 */
const UNTAGGED_POLLS = 24;

/** Every Leftovers not yet removed: Ctrl-C removes what all of them hold before the process exits. */
const live = new Set<Leftovers>();
let signalled = false;

/**
 * One handler for the process, installed once and kept: Ctrl-C reaches the engine's clients too, whose failures may
 * be handled first, and a process with no handler left would die of the signal before removing anything. It
 * removes what every live Leftovers holds (an export's partial file and container, verify's images), says so in
 * one line, and exits with the signal's status as a shell would report it.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (signalled) return;
  signalled = true;
  const all = [...live];
  for (const l of all) l.interruptedBuild = l.building > 0;
  void Promise.allSettled(all.map((l) => l.remove())).finally(() => {
    if (all.some((l) => l.held > 0)) process.stderr.write('scratchify: interrupted; removed what it had made\n');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Returns at once, unless Ctrl-C came: then never (the handler exits once it has removed everything). Outputs are
 * written after it, so that a run whose engine client died of the signal, and so looked finished, writes nothing.
 */
export async function unlessInterrupted(): Promise<void> {
  if (signalled) await new Promise(() => {});
}

/**
 * Images, containers, volumes and files a command made and must remove: at the end, on error, and on Ctrl-C or
 * SIGTERM.
 */
export class Leftovers {
  private readonly images = new Set<string>();
  private readonly containers = new Set<string>();
  private readonly volumes = new Set<string>();
  private readonly dirs = new Set<string>();
  /** How many things it held when it was last asked to remove them. */
  held = 0;
  /** Builds started and not yet returned: a build the daemon goes on with after Ctrl-C killed its client leaves images. */
  building = 0;
  /** Ctrl-C came while a build ran (its client dies at once, and `building` drops back before the cleanup looks). */
  interruptedBuild = false;
  /** A build ran: the step images of a multi-stage build's earlier stages are left untagged, and go at the end. */
  private built = false;
  /**
   * The label every image this command builds carries (verify.ts: withBuildLabel): an image the daemon made after
   * Ctrl-C killed the build's client (a step image of the classic builder, an export whose tag never came) has no
   * tag to remove it by, only this.
   */
  readonly buildLabel = `org.scratchify.leftover=${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  /** Without an engine (a base read from files), it holds only this machine's files. */
  constructor(private readonly engine?: Engine) {
    if (!process.listeners('SIGINT').includes(onSignal)) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    live.add(this);
  }

  image(tag: string): string {
    this.stopIfSignalled();
    this.images.add(tag);
    return tag;
  }

  /** Runs a build of an image it holds; see buildLabel. */
  async build<T>(run: () => Promise<T>): Promise<T> {
    this.stopIfSignalled();
    this.building++;
    this.built = true;
    try {
      return await run();
    } finally {
      this.building--;
    }
  }

  /**
   * Nothing new is made once Ctrl-C came: the command's own flow goes on while the handler removes what there is
   * (the engine's clients died, and each await returns), and would start the next container otherwise.
   */
  private stopIfSignalled(): void {
    if (signalled) throw new Error('interrupted');
  }

  container(name: string): string {
    this.stopIfSignalled();
    this.containers.add(name);
    return name;
  }

  /**
   * A container that removes itself (--rm) once done, or one or a directory the command removed on its own:
   * forgotten then, so that a later Ctrl-C neither removes nor reports it.
   */
  forget(name: string): void {
    this.containers.delete(name);
    this.dirs.delete(name);
  }

  volume(name: string): string {
    this.stopIfSignalled();
    this.volumes.add(name);
    return name;
  }

  /**
   * For an error path: an engine client that died of the same Ctrl-C fails its command at about the moment the
   * signal arrives here. Waits a moment; if the signal came, never returns (the handler exits with 130 once
   * everything is removed), so the client's failure is not reported as an error of its own.
   */
  async settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 250));
    if (signalled) await new Promise(() => {});
  }

  /** Everything it holds is wanted after all (an export that finished): nothing is removed. */
  forgetAll(): void {
    this.images.clear();
    this.containers.clear();
    this.volumes.clear();
    this.dirs.clear();
  }

  /** A temporary file or directory of this machine's, removed with the rest. */
  dir(path: string): string {
    this.dirs.add(path);
    return path;
  }

  /**
   * The images its builds made that have no tag: the classic builder's step images of a multi-stage build's
   * earlier stages; after Ctrl-C, what the daemon made after the build's client died (step images, an export whose
   * tag never came), looked for `polls` times a quarter second apart since the daemon goes on for a while.
   */
  private async removeUntagged(polls: number): Promise<void> {
    for (let i = 0; i < polls; i++) {
      if (polls > 1) await new Promise((r) => setTimeout(r, 250));
      const r = await this.engine!.exec(['images', '-a', '-q', '--filter', `label=${this.buildLabel}`], { timeout: 60_000 });
      const ids = r.stdout.split('\n').filter(Boolean);
      if (ids.length) await this.engine!.exec(['rmi', '-f', ...new Set(ids)], { timeout: 120_000 });
    }
  }

  async remove(): Promise<void> {
    this.held = this.images.size + this.containers.size + this.volumes.size + this.dirs.size;
    // Containers first: they hold the volumes and images removed after them, and the directories mounted in them.
    // A container whose `run` was in flight when Ctrl-C came may appear a moment after the first pass; a volume
    // it holds then refuses to go, so the passes repeat (a few, briefly) until both are gone.
    const names = [...this.containers];
    const volumes = [...this.volumes];
    this.containers.clear();
    this.volumes.clear();
    // After Ctrl-C, always a second pass: the engine's clients died with the signal, not what they asked for.
    const least = signalled ? 2 : 1;
    for (let pass = 0; pass < 5 && (names.length || volumes.length); pass++) {
      if (pass > 0) await new Promise((r) => setTimeout(r, 500));
      if (names.length) await this.engine!.exec(['rm', '-f', '-v', ...names], { timeout: 120_000 });
      const r = volumes.length ? await this.engine!.exec(['volume', 'rm', '-f', ...volumes], { timeout: 120_000 }) : { exitCode: 0 };
      if (r.exitCode === 0 && pass + 1 >= least) break;
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
    const tags = [...this.images];
    this.images.clear();
    if (tags.length) await this.engine!.exec(['rmi', '-f', ...tags], { timeout: 120_000 });
    if (this.interruptedBuild) await this.removeUntagged(UNTAGGED_POLLS);
    else if (this.built) await this.removeUntagged(1);
    if (!signalled) live.delete(this);
  }
}
