/** Builds small, well-formed ELF images in memory for either class and byte order. */
export interface ElfSpec {
  class?: 32 | 64;
  data?: 'LSB' | 'MSB';
  machine?: number;
  type?: number;
  interpreter?: string;
  needed?: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  flags1?: number;
  /** More C strings in the loaded (read-only) segment, as .rodata would hold them. */
  strings?: string[];
}

export function buildElf(spec: ElfSpec): Buffer {
  const is64 = (spec.class ?? 64) === 64;
  const le = (spec.data ?? 'LSB') === 'LSB';
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dynent = is64 ? 16 : 8;
  // String table: index 0 is the empty string.
  const strs: string[] = [''];
  const index = (s: string) => {
    const at = Buffer.byteLength(strs.join('\0')) + 1;
    strs.push(s);
    return at;
  };
  const dyn: [number, number][] = [];
  for (const n of spec.needed ?? []) dyn.push([1, index(n)]);
  if (spec.soname) dyn.push([14, index(spec.soname)]);
  if (spec.rpath) dyn.push([15, index(spec.rpath)]);
  if (spec.runpath) dyn.push([29, index(spec.runpath)]);
  if (spec.flags1) dyn.push([0x6ffffffb, spec.flags1]);
  for (const s of spec.strings ?? []) index(s);
  const strtab = Buffer.from(`${strs.join('\0')}\0`, 'latin1');
  const interp = spec.interpreter ? Buffer.from(`${spec.interpreter}\0`, 'latin1') : Buffer.alloc(0);
  const phnum = 1 + (interp.length ? 1 : 0) + 1;
  const phoff = ehsize;
  const interpOff = phoff + phnum * phentsize;
  const strOff = interpOff + interp.length;
  const dynOff = Math.ceil((strOff + strtab.length) / 8) * 8;
  dyn.push([5, strOff], [10, strtab.length], [0, 0]);
  const size = dynOff + dyn.length * dynent;
  const b = Buffer.alloc(size);
  const u16 = (o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const word = (o: number, v: number) => (is64 ? (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : u32(o, v));
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  u16(16, spec.type ?? 3);
  u16(18, spec.machine ?? 62);
  u32(20, 1);
  word(is64 ? 32 : 28, phoff);
  u16(is64 ? 52 : 40, ehsize);
  u16(is64 ? 54 : 42, phentsize);
  u16(is64 ? 56 : 44, phnum);
  let ph = phoff;
  const seg = (type: number, off: number, filesz: number) => {
    u32(ph, type);
    if (is64) {
      word(ph + 8, off);
      word(ph + 16, off);
      word(ph + 24, off);
      word(ph + 32, filesz);
      word(ph + 40, filesz);
    } else {
      u32(ph + 4, off);
      u32(ph + 8, off);
      u32(ph + 12, off);
      u32(ph + 16, filesz);
      u32(ph + 20, filesz);
    }
    ph += phentsize;
  };
  seg(1, 0, size); // PT_LOAD identity-maps the file, so vaddr == offset
  if (interp.length) seg(3, interpOff, interp.length);
  seg(2, dynOff, dyn.length * dynent);
  interp.copy(b, interpOff);
  strtab.copy(b, strOff);
  dyn.forEach(([tag, val], i) => {
    word(dynOff + i * dynent, tag);
    word(dynOff + i * dynent + dynent / 2, val);
  });
  return b;
}
