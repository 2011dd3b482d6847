// Numeric values from the System V gABI and glibc's <elf.h>; kept apart from the reader, as Go's debug/elf does.

export const ELFMAG = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;

export const PF_X = 0x1;
export const PF_W = 0x2;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_HASH = 4;
export const DT_SYMTAB = 6;
export const DT_STRSZ = 10;
export const DT_SYMENT = 11;
export const DT_GNU_HASH = 0x6ffffef5;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_FLAGS = 30;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DT_VERDEF = 0x6ffffffc;
export const DT_VERDEFNUM = 0x6ffffffd;
export const DT_VERNEED = 0x6ffffffe;
export const DT_VERNEEDNUM = 0x6fffffff;

export const DF_1_NODEFLIB = 0x800;
export const DF_1_PIE = 0x08000000;

/** VER_FLG_BASE marks the verdef entry that names the object itself rather than a version. */
export const VER_FLG_BASE = 0x1;
export const VER_FLG_WEAK = 0x2;

export const ELFOSABI_SYSV = 0;
export const ELFOSABI_GNU = 3;

export const EM_SPARC = 2;
export const EM_386 = 3;
export const EM_MIPS = 8;
export const EM_PPC = 20;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_ARM = 40;
export const EM_SPARCV9 = 43;
export const EM_IA_64 = 50;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_LOONGARCH = 258;

/** e_flags bit of ARM EABI objects built for the hard-float ABI (armhf). */
export const EF_ARM_ABI_FLOAT_HARD = 0x400;

export const MACHINE_NAMES: Record<number, string> = {
  [EM_SPARC]: 'SPARC',
  [EM_386]: 'i386',
  [EM_MIPS]: 'MIPS',
  [EM_PPC]: 'PowerPC',
  [EM_PPC64]: 'PowerPC64',
  [EM_S390]: 'S390',
  [EM_ARM]: 'ARM',
  [EM_SPARCV9]: 'SPARCV9',
  [EM_IA_64]: 'IA-64',
  [EM_X86_64]: 'x86-64',
  [EM_AARCH64]: 'AArch64',
  [EM_RISCV]: 'RISC-V',
  [EM_LOONGARCH]: 'LoongArch',
};

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}
