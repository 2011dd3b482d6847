import {
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_IA_64,
  EM_MIPS,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_SPARC,
  EM_SPARCV9,
  EM_X86_64,
  ELFOSABI_GNU,
  ELFOSABI_SYSV,
  EF_ARM_ABI_FLOAT_HARD,
} from './constants.js';

/**
 * What glibc and Debian call one machine ABI, in one row: the facts the resolver needs about a process are all
 * decided by (class, machine, and for ARM the float ABI flag), so they live together here rather than in one
 * switch per fact.
 */
export interface Abi {
  /** Debian's multiarch tuple, which names glibc's library directories on Debian and Ubuntu. */
  readonly tuple: string;
  /** The ABI's standard glibc loader (what a shared object without PT_INTERP runs under). */
  readonly interpreter: string;
  /** $PLATFORM (AT_PLATFORM) as the kernel reports it; '' where glibc's legacy subdirectories use none. */
  readonly platform: string;
  /** ldconfig's FLAG_* ABI byte (glibc elf/ldconfig.h) that ld.so.cache entries for this ABI carry. */
  readonly cacheFlag?: number;
  /** The architecture (and variant) container engines and registries name this ABI by: amd64, arm64, arm/v7. */
  readonly docker: string;
}

/** The header fields an ABI is decided by. */
export interface AbiKey {
  readonly class: 32 | 64;
  readonly machine: number;
  readonly eflags: number;
}

const ROWS: readonly { class: 32 | 64; machine: number; hardFloat?: boolean; abi: Abi }[] = [
  {
    class: 64,
    machine: EM_X86_64,
    abi: { tuple: 'x86_64-linux-gnu', interpreter: '/lib64/ld-linux-x86-64.so.2', platform: 'x86_64', cacheFlag: 0x0300, docker: 'amd64' },
  },
  {
    class: 32,
    machine: EM_X86_64,
    abi: { tuple: 'x86_64-linux-gnux32', interpreter: '/libx32/ld-linux-x32.so.2', platform: 'x86_64', cacheFlag: 0x0800, docker: 'amd64' },
  },
  {
    class: 32,
    machine: EM_386,
    abi: { tuple: 'i386-linux-gnu', interpreter: '/lib/ld-linux.so.2', platform: 'i686', cacheFlag: 0x0000, docker: '386' },
  },
  {
    class: 64,
    machine: EM_AARCH64,
    abi: { tuple: 'aarch64-linux-gnu', interpreter: '/lib/ld-linux-aarch64.so.1', platform: 'aarch64', cacheFlag: 0x0a00, docker: 'arm64' },
  },
  {
    class: 32,
    machine: EM_ARM,
    hardFloat: true,
    abi: { tuple: 'arm-linux-gnueabihf', interpreter: '/lib/ld-linux-armhf.so.3', platform: '', cacheFlag: 0x0900, docker: 'arm/v7' },
  },
  {
    class: 32,
    machine: EM_ARM,
    hardFloat: false,
    abi: { tuple: 'arm-linux-gnueabi', interpreter: '/lib/ld-linux.so.3', platform: '', cacheFlag: 0x0b00, docker: 'arm/v5' },
  },
  {
    class: 64,
    machine: EM_PPC64,
    abi: { tuple: 'powerpc64le-linux-gnu', interpreter: '/lib64/ld64.so.2', platform: '', cacheFlag: 0x0500, docker: 'ppc64le' },
  },
  {
    class: 64,
    machine: EM_S390,
    abi: { tuple: 's390x-linux-gnu', interpreter: '/lib/ld64.so.1', platform: '', cacheFlag: 0x0400, docker: 's390x' },
  },
  {
    class: 64,
    machine: EM_RISCV,
    abi: {
      tuple: 'riscv64-linux-gnu',
      interpreter: '/lib/ld-linux-riscv64-lp64d.so.1',
      platform: '',
      cacheFlag: 0x1000,
      docker: 'riscv64',
    },
  },
  {
    class: 32,
    machine: EM_MIPS,
    abi: { tuple: 'mipsel-linux-gnu', interpreter: '/lib/ld.so.1', platform: '', cacheFlag: 0x0000, docker: 'mipsle' },
  },
  {
    class: 64,
    machine: EM_MIPS,
    abi: { tuple: 'mips64el-linux-gnuabi64', interpreter: '/lib64/ld.so.1', platform: '', cacheFlag: 0x0700, docker: 'mips64le' },
  },
];

/** 64-bit ABIs that ldconfig flags but Debian no longer builds; only their cache flag matters here. */
const CACHE_ONLY: readonly { machine: number; flag: number }[] = [
  { machine: EM_SPARC, flag: 0x0100 },
  { machine: EM_SPARCV9, flag: 0x0100 },
  { machine: EM_IA_64, flag: 0x0200 },
];

/** Every ABI the table knows, by the engines' name for it (a test walks them all). */
export function knownAbis(): readonly Abi[] {
  return ROWS.map((r) => r.abi);
}

/** The ABI row for an object, or undefined for a machine this table does not know. */
export function abiOf(elf: AbiKey): Abi | undefined {
  const hardFloat = (elf.eflags & EF_ARM_ABI_FLOAT_HARD) !== 0;
  return ROWS.find((r) => r.class === elf.class && r.machine === elf.machine && (r.hardFloat === undefined || r.hardFloat === hardFloat))
    ?.abi;
}

/** ldconfig's ABI byte for an object's ABI, or undefined when ldconfig gives that ABI none. */
export function cacheFlagOf(elf: AbiKey): number | undefined {
  const known = abiOf(elf)?.cacheFlag;
  if (known !== undefined) return known;
  return elf.class === 64 ? CACHE_ONLY.find((c) => c.machine === elf.machine)?.flag : undefined;
}

/** The OS ABIs a Linux loader accepts in e_ident[EI_OSABI] (glibc's VALID_ELF_OSABI). */
export function linuxAcceptsOsAbi(osabi: number): boolean {
  return osabi === ELFOSABI_SYSV || osabi === ELFOSABI_GNU;
}
