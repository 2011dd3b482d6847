import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Resolver } from '../resolve/resolver.js';
import { openDirRoot } from '../rootfs/open.js';

/** A program of this machine's, with everything its loader maps, ready to bind-mount read-only into a container. */
export interface BroughtIn {
  dir: string;
  /** Where the directory is mounted in the container: a name no image uses. */
  mount: string;
  /** The command line that starts the program inside the container, through the bundled loader. */
  command: string[];
  remove(): void;
}

/**
 * Copies `program` of this machine, its libraries and its loader (resolved by scratchify's own resolver, on this
 * machine's root, which is what it is for) flat into one directory, with `extra` files beside them. Inside the
 * container it starts through that loader with `--library-path` and `--inhibit-cache`, so it never loads the
 * image's libraries: it works in any base of this machine's architecture, a scratch image included. A program
 * it starts runs on the image's own loader, since the loader's options are not inherited across execve.
 * Large files are hard-linked when the temporary directory is on the same filesystem (Node.js is 95 MB).
 *
 * Returns undefined when the program is not a glibc program whose libraries all resolve here.
 */
export function bringIn(program: string, mount: string, extra: { name: string; from: string }[] = []): BroughtIn | undefined {
  const resolver = new Resolver(openDirRoot('/'));
  const map = resolver.loadProgram(program);
  const interpreter = map.objects.find((o) => o.how.kind === 'interpreter');
  if (map.libc !== 'glibc' || !interpreter || map.objects.some((o) => o.deps.some((d) => !d.object))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), `scratchify-${basename(mount).replace(/^\.scratchify-/, '')}-`));
  const name = basename(program);
  try {
    mkdirSync(join(dir, 'lib'));
    place(interpreter.real, join(dir, 'ld.so'));
    place(map.program.real, join(dir, name));
    for (const o of map.objects) {
      if (o === map.program || o === interpreter) continue;
      // The loader asks for each library by its DT_NEEDED name, which the copy must carry.
      place(o.real, join(dir, 'lib', basename(o.name)));
    }
    for (const e of extra) place(e.from, join(dir, e.name));
    chmodSync(dir, 0o755);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    mount,
    command: [`${mount}/ld.so`, '--inhibit-cache', '--library-path', `${mount}/lib`, `${mount}/${name}`],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A hard link where the filesystem allows it (the file is never written through it), else a copy. */
function place(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
    chmodSync(to, 0o755);
  }
}

/** The engine's `-v` for a brought-in directory: read-only. */
export function mountArgs(b: BroughtIn): string[] {
  return ['-v', `${b.dir}:${b.mount}:ro`];
}

/** This machine's architecture in the engines' words (amd64, arm64, ...). */
export function hostArch(): string {
  return (
    { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[
      process.arch as string
    ] ?? process.arch
  );
}
