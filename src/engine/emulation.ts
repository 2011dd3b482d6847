import { readFileSync } from 'node:fs';
import { ScratchifyError } from '../errors.js';
import { hostArch } from './bring-in.js';

/** qemu-user's name for each architecture the engines name. */
const QEMU: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  '386': 'i386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  mips64le: 'mips64el',
  mipsle: 'mipsel',
  riscv64: 'riscv64',
};

/** Architectures this machine runs itself: a 64-bit x86 kernel runs i386 programs, a 64-bit Arm one 32-bit Arm. */
const NATIVE: Record<string, string[]> = { amd64: ['amd64', '386'], arm64: ['arm64', 'arm'] };

export type Runs = 'native' | 'emulated' | 'no';

/**
 * Whether this machine can run programs of `arch`: natively, under qemu-user through binfmt_misc with the F flag
 * (the interpreter opened when registered, so it works inside containers), or not at all.
 */
export function canRun(arch: string | undefined, binfmtDir = process.env.SCRATCHIFY_BINFMT_DIR ?? '/proc/sys/fs/binfmt_misc'): Runs {
  if (!arch || (NATIVE[hostArch()] ?? [hostArch()]).includes(arch)) return 'native';
  const name = QEMU[arch];
  if (!name) return 'no';
  try {
    const entry = readFileSync(`${binfmtDir}/qemu-${name}`, 'utf8');
    return /^enabled$/m.test(entry) && /^flags: \w*F/m.test(entry) ? 'emulated' : 'no';
  } catch {
    return 'no';
  }
}

/** Refuses, before any work, to run what this machine cannot: the one line says what would enable it. */
export function checkCanRun(arch: string | undefined, what: string, platform?: string): void {
  if (canRun(arch) !== 'no') return;
  throw new ScratchifyError(
    'CANNOT_RUN',
    `${what} runs the image, which is ${platform ?? arch}: this machine (${hostArch()}) cannot run it`,
    {
      hint: emulationHint(arch ?? ''),
    },
  );
}

/** What makes this machine run `arch`, in one line, for the errors that say it cannot. */
export function emulationHint(arch: string): string {
  return `install qemu-user-static and binfmt-support (apt-get install -y qemu-user-static binfmt-support), and mount binfmt_misc if /proc/sys/fs/binfmt_misc is empty (mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc); then containers of ${arch} run here`;
}
