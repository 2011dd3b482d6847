import { abiOf, type AbiKey } from './abi.js';

/** A container platform as engines and registries name it: `linux/arm64`, `linux/arm/v7`. */
export type Platform = string;

/** The platform an object runs on, from its ELF header; undefined for a machine the ABI table does not know. */
export function imagePlatformOf(elf: AbiKey): Platform | undefined {
  const abi = abiOf(elf);
  return abi ? `linux/${abi.docker}` : undefined;
}

/** An image's platform from its configuration (`Architecture`, `Variant`); arm64's optional v8 is dropped. */
export function platformOfImage(
  os: string | undefined,
  architecture: string | undefined,
  variant: string | undefined,
): Platform | undefined {
  if (!architecture) return undefined;
  const v = architecture === 'arm64' && variant === 'v8' ? undefined : variant;
  return `${os || 'linux'}/${architecture}${v ? `/${v}` : ''}`;
}

/** Platforms whose machines also run programs of another: a 64-bit x86 or Arm kernel runs its 32-bit programs. */
const ALSO_RUNS: Record<Platform, Platform[]> = {
  'linux/amd64': ['linux/386'],
  'linux/arm64': ['linux/arm/v7', 'linux/arm/v5'],
  'linux/arm/v7': ['linux/arm/v5'],
};

/** Whether a container of `image` platform can run a program built for `program`. */
export function runsOn(program: Platform, image: Platform): boolean {
  return program === image || (ALSO_RUNS[image] ?? []).includes(program);
}

/** Checks a `--platform` value's shape: os/architecture[/variant]. */
export function isPlatform(value: string): boolean {
  return /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(value);
}
