import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Resolver } from '../resolve/resolver.js';
import { openDirRoot } from '../rootfs/open.js';

/** Where the tracer is mounted inside the container, read-only; a name no image uses. */
export const TRACER_MOUNT = '/.scratchify-tracer';

/** A copy of this machine's strace and everything its loader maps, ready to bind-mount into a container. */
export interface TracerBundle {
  dir: string;
  /** The command line that starts strace inside the container, through the bundled loader. */
  command: string[];
  remove(): void;
}

/** Where to look for strace on this machine; SCRATCHIFY_STRACE names another build, or `none` for none. */
function hostStrace(): string | undefined {
  if (process.env.SCRATCHIFY_STRACE === 'none') return undefined;
  const candidates = [process.env.SCRATCHIFY_STRACE, '/usr/bin/strace', '/bin/strace', '/usr/local/bin/strace'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

/**
 * Brings a tracer into any image: this machine's strace, its libraries and its loader, resolved by scratchify's
 * own resolver (on this machine's root, which is what it is for), copied flat into one directory. Inside the
 * container strace starts through that loader with `--library-path` and `--inhibit-cache`, so it never loads
 * the image's libraries, and the program it starts runs on the image's own loader and libraries: the option
 * applies to strace's process only and is not inherited across execve. Nothing of the image ever runs here.
 *
 * Returns undefined when there is no strace here, or it is built for another machine than the image.
 */
export function prepareTracer(imageArch: string | undefined): TracerBundle | undefined {
  const strace = hostStrace();
  if (!strace) return undefined;
  if (imageArch && imageArch !== hostArch()) return undefined;
  const resolver = new Resolver(openDirRoot('/'));
  const map = resolver.loadProgram(strace);
  const interpreter = map.objects.find((o) => o.how.kind === 'interpreter');
  if (map.libc !== 'glibc' || !interpreter || map.objects.some((o) => o.deps.some((d) => !d.object))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-tracer-'));
  try {
    mkdirSync(join(dir, 'lib'));
    copyFileSync(interpreter.real, join(dir, 'ld.so'));
    copyFileSync(map.program.real, join(dir, 'strace'));
    for (const o of map.objects) {
      if (o === map.program || o === interpreter) continue;
      // The loader asks for each library by its DT_NEEDED name, which the copy must carry.
      copyFileSync(o.real, join(dir, 'lib', basename(o.name)));
    }
    for (const f of ['ld.so', 'strace']) chmodSync(join(dir, f), 0o755);
    chmodSync(dir, 0o755);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    command: [`${TRACER_MOUNT}/ld.so`, '--inhibit-cache', '--library-path', `${TRACER_MOUNT}/lib`, `${TRACER_MOUNT}/strace`],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** This machine's architecture in the engines' words (amd64, arm64, ...). */
export function hostArch(): string {
  return (
    { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[
      process.arch as string
    ] ?? process.arch
  );
}
