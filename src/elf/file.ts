import * as C from './constants.js';
import { NotElfError } from './errors.js';
import { ElfReader } from './reader.js';
import type { ElfFile, ParseOptions, VersionNeed } from './types.js';
import { FileSource, type ByteSource } from './source.js';

export type { ElfFile, ParseOptions, VersionNeed } from './types.js';

// Bounds on counts read from the file, checked before anything is allocated or walked.
const MAX_PHNUM = 65535;
const MAX_DYN_ENTRIES = 1 << 16;
const MAX_STRING = 4096;
const MAX_VERSION_RECORDS = 1 << 14;
const MAX_SYMBOLS = 1 << 20;
interface Segment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** Parses the ELF header, program headers and dynamic segment from `src` with positional reads only. */
export function parseElf(src: ByteSource, name: string, options: ParseOptions = {}): ElfFile {
  const parser = new Parser(src, name, options.versions ?? true, options.imports);
  try {
    return parser.parse();
  } finally {
    parser.releaseWindows();
  }
}

/** Opens `path` on the host filesystem, parses it and closes it. */
export function readElf(path: string): ElfFile {
  const src = FileSource.open(path);
  try {
    return parseElf(src, path);
  } finally {
    src.close();
  }
}

class Parser extends ElfReader {
  private loads: Segment[] = [];
  private strtab?: { offset: number; size: number };

  constructor(
    src: ByteSource,
    name: string,
    private readonly versions: boolean,
    private readonly wantedImports?: ReadonlySet<string>,
  ) {
    super(src, name);
  }

  parse(): ElfFile {
    // The first 64 bytes alone, not a window: a file that is not ELF (a script, a data file) is read no further,
    // and an image's cache keeps only the head of such files.
    const ident = this.src.read(0, 64);
    if (ident.length < 4 || !ident.subarray(0, 4).equals(C.ELFMAG)) {
      throw new NotElfError(this.name, shebangOf(ident));
    }
    if (ident.length < 16) this.fail(0, 'truncated: the ELF identification is incomplete');
    const cls = ident[4];
    const data = ident[5];
    if (cls !== C.ELFCLASS32 && cls !== C.ELFCLASS64) this.fail(4, `unknown ELF class ${cls}`);
    if (data !== C.ELFDATA2LSB && data !== C.ELFDATA2MSB) this.fail(5, `unknown ELF data encoding ${data}`);
    if (ident[6] !== 1) this.fail(6, `unknown ELF version ${ident[6]}`);
    this.is64 = cls === C.ELFCLASS64;
    this.le = data === C.ELFDATA2LSB;

    const hdr = this.need(0, this.is64 ? 64 : 52, 'the ELF header');
    const type = this.u16(hdr, 16);
    const machine = this.u16(hdr, 18);
    const phoff = this.word(hdr, this.is64 ? 32 : 28);
    const shoff = this.word(hdr, this.is64 ? 40 : 32);
    const eflags = this.u32(hdr, this.is64 ? 48 : 36);
    const phentsize = this.u16(hdr, this.is64 ? 54 : 42);
    let phnum = this.u16(hdr, this.is64 ? 56 : 44);
    if (phnum === 0xffff) phnum = this.extendedPhnum(shoff);

    const segments = this.programHeaders(phoff, phentsize, phnum);
    this.loads = segments.filter((s) => s.type === C.PT_LOAD);
    const file: ElfFile = {
      class: this.is64 ? 64 : 32,
      data: this.le ? 'LSB' : 'MSB',
      osabi: ident[7],
      type,
      machine,
      eflags,
      dynamic: false,
      needed: [],
      flags: 0,
      flags1: 0,
    };
    if (this.versions) {
      file.verneed = [];
      file.verdef = [];
    }
    const writable = this.loads.find((s) => (s.flags & (C.PF_W | C.PF_X)) === C.PF_W);
    if (writable && Number.isFinite(writable.offset)) file.dataOffset = writable.offset;
    const readOnly = this.loads.filter((s) => (s.flags & C.PF_W) === 0 && s.filesz > 0);
    const pure = readOnly.filter((s) => (s.flags & C.PF_X) === 0);
    file.constData = (pure.length ? pure : readOnly).map((s) => ({ offset: s.offset, size: s.filesz }));
    const interp = segments.find((s) => s.type === C.PT_INTERP);
    if (interp) file.interpreter = this.interpreter(interp);
    const dyn = segments.find((s) => s.type === C.PT_DYNAMIC);
    if (dyn) this.dynamicSection(dyn, file);
    return file;
  }

  /** With PN_XNUM the real count sits in sh_info of section header 0. */
  private extendedPhnum(shoff: number): number {
    const sh = this.need(shoff, this.is64 ? 64 : 40, 'section header 0 (extended program header count)');
    return this.u32(sh, this.is64 ? 44 : 28);
  }

  private programHeaders(phoff: number, phentsize: number, phnum: number): Segment[] {
    if (phnum === 0) return [];
    const min = this.is64 ? 56 : 32;
    if (phentsize < min) this.fail(this.is64 ? 54 : 42, `program header entry size ${phentsize} is below ${min}`);
    if (phnum > MAX_PHNUM) this.fail(this.is64 ? 56 : 44, `program header count ${phnum} exceeds ${MAX_PHNUM}`);
    const table = this.need(phoff, phentsize * phnum, `the program header table (${phnum} entries)`);
    const out: Segment[] = [];
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      const type = this.u32(table, o);
      // Only the segments the reader uses: every object made here is garbage a few microseconds later.
      if (type !== C.PT_LOAD && type !== C.PT_INTERP && type !== C.PT_DYNAMIC) continue;
      out.push(
        this.is64
          ? {
              type,
              flags: this.u32(table, o + 4),
              offset: this.word(table, o + 8),
              vaddr: this.word(table, o + 16),
              filesz: this.word(table, o + 32),
            }
          : {
              type,
              flags: this.u32(table, o + 24),
              offset: this.u32(table, o + 4),
              vaddr: this.u32(table, o + 8),
              filesz: this.u32(table, o + 16),
            },
      );
    }
    return out;
  }

  private interpreter(seg: Segment): string {
    if (seg.filesz > MAX_STRING) this.fail(seg.offset, `PT_INTERP is ${seg.filesz} bytes, over ${MAX_STRING}`);
    const raw = this.need(seg.offset, seg.filesz, 'PT_INTERP');
    const nul = raw.indexOf(0);
    return raw.toString('latin1', 0, nul < 0 ? raw.length : nul);
  }

  /** Maps a virtual address to a file offset through the PT_LOAD segments, as the loader maps them. */
  private fileOffset(vaddr: number, what: string): number {
    for (const s of this.loads) {
      if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
    }
    return this.fail(0, `${what} address 0x${vaddr.toString(16)} is in no PT_LOAD segment`);
  }

  private dynamicSection(seg: Segment, file: ElfFile): void {
    file.dynamic = true;
    const entsize = this.is64 ? 16 : 8;
    const count = Math.floor(seg.filesz / entsize);
    if (count > MAX_DYN_ENTRIES) this.fail(seg.offset, `PT_DYNAMIC holds ${count} entries, over ${MAX_DYN_ENTRIES}`);
    const table = this.need(seg.offset, count * entsize, 'the dynamic segment');
    const neededIdx: number[] = [];
    let sonameIdx: number | undefined;
    let rpathIdx: number | undefined;
    let runpathIdx: number | undefined;
    let strtab: number | undefined;
    let strsz: number | undefined;
    let verneed: number | undefined;
    let verneednum = 0;
    let verdef: number | undefined;
    let verdefnum = 0;
    let symtab: number | undefined;
    let syment = this.is64 ? 24 : 16;
    let hash: number | undefined;
    let gnuHash: number | undefined;
    for (let i = 0; i < count; i++) {
      const o = i * entsize;
      const tag = this.is64 ? Number(this.word(table, o)) : this.u32(table, o);
      const val = this.word(table, o + entsize / 2);
      if (tag === C.DT_NULL) break;
      switch (tag) {
        case C.DT_NEEDED:
          neededIdx.push(val);
          break;
        case C.DT_SONAME:
          sonameIdx = val;
          break;
        case C.DT_RPATH:
          rpathIdx = val;
          break;
        case C.DT_RUNPATH:
          runpathIdx = val;
          break;
        case C.DT_STRTAB:
          strtab = val;
          break;
        case C.DT_STRSZ:
          strsz = val;
          break;
        case C.DT_FLAGS:
          file.flags = val;
          break;
        case C.DT_FLAGS_1:
          file.flags1 = val;
          break;
        case C.DT_VERNEED:
          verneed = val;
          break;
        case C.DT_VERNEEDNUM:
          verneednum = val;
          break;
        case C.DT_VERDEF:
          verdef = val;
          break;
        case C.DT_VERDEFNUM:
          verdefnum = val;
          break;
        case C.DT_SYMTAB:
          symtab = val;
          break;
        case C.DT_SYMENT:
          syment = val;
          break;
        case C.DT_HASH:
          hash = val;
          break;
        case C.DT_GNU_HASH:
          gnuHash = val;
          break;
      }
    }
    if (!this.versions) verneed = verdef = undefined;
    const wantsStrings =
      neededIdx.length > 0 ||
      sonameIdx !== undefined ||
      rpathIdx !== undefined ||
      runpathIdx !== undefined ||
      verneed !== undefined ||
      verdef !== undefined ||
      (this.wantedImports && symtab !== undefined);
    if (!wantsStrings) return;
    if (strtab === undefined) this.fail(seg.offset, 'the dynamic segment names strings but has no DT_STRTAB');
    const offset = this.fileOffset(strtab, 'DT_STRTAB');
    const size = Math.min(strsz ?? this.src.size - offset, this.src.size - offset);
    this.strtab = { offset, size };
    file.needed = neededIdx.map((i) => this.str(i, 'DT_NEEDED'));
    if (sonameIdx !== undefined) file.soname = this.str(sonameIdx, 'DT_SONAME');
    if (rpathIdx !== undefined) file.rpath = this.str(rpathIdx, 'DT_RPATH');
    if (runpathIdx !== undefined) file.runpath = this.str(runpathIdx, 'DT_RUNPATH');
    if (verneed !== undefined) file.verneed = this.versionNeeds(this.fileOffset(verneed, 'DT_VERNEED'), verneednum);
    if (verdef !== undefined) file.verdef = this.versionDefs(this.fileOffset(verdef, 'DT_VERDEF'), verdefnum);
    if (this.wantedImports && symtab !== undefined) {
      const n = this.symbolCount(hash, gnuHash);
      file.imports = n === undefined ? [] : this.undefinedSymbols(this.fileOffset(symtab, 'DT_SYMTAB'), syment, n);
    }
  }

  /** The number of dynamic symbols: nchain of DT_HASH, or the end of the last DT_GNU_HASH chain. */
  private symbolCount(hash: number | undefined, gnuHash: number | undefined): number | undefined {
    if (hash !== undefined) {
      const h = this.need(this.fileOffset(hash, 'DT_HASH'), 8, 'the DT_HASH header');
      return Math.min(this.u32(h, 4), MAX_SYMBOLS);
    }
    if (gnuHash === undefined) return undefined;
    const at = this.fileOffset(gnuHash, 'DT_GNU_HASH');
    const h = this.need(at, 16, 'the DT_GNU_HASH header');
    const nbuckets = this.u32(h, 0);
    const symoffset = this.u32(h, 4);
    const bloomWords = this.u32(h, 8);
    if (nbuckets > MAX_SYMBOLS || bloomWords > MAX_SYMBOLS) this.fail(at, `DT_GNU_HASH sizes ${nbuckets}/${bloomWords} are out of range`);
    const bucketsAt = at + 16 + bloomWords * (this.is64 ? 8 : 4);
    const buckets = this.need(bucketsAt, nbuckets * 4, 'the DT_GNU_HASH buckets');
    let last = 0;
    for (let i = 0; i < nbuckets; i++) last = Math.max(last, this.u32(buckets, i * 4));
    if (last < symoffset) return symoffset;
    const chainsAt = bucketsAt + nbuckets * 4;
    for (let i = last; i < MAX_SYMBOLS; i++) {
      const v = this.u32(this.need(chainsAt + (i - symoffset) * 4, 4, 'a DT_GNU_HASH chain'), 0);
      if (v & 1) return i + 1;
    }
    return this.fail(chainsAt, 'a DT_GNU_HASH chain does not end');
  }

  private undefinedSymbols(at: number, syment: number, count: number): string[] {
    const min = this.is64 ? 24 : 16;
    if (syment < min) this.fail(at, `DT_SYMENT ${syment} is below ${min}`);
    const wanted = this.wantedImports!;
    // A library imports thousands of names and a few are wanted: names whose first two bytes begin no wanted name
    // are passed over without a string made of them (a third of the parse of every ELF file of an image). A name
    // whose bytes cannot be read that way still goes through str(), which says what is wrong with it.
    const prefixes = new Set([...wanted].map((n) => (n.charCodeAt(0) << 8) | n.charCodeAt(1)));
    const tab = this.strtab!;
    const out: string[] = [];
    const batch = 256;
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      const table = this.need(at + i * syment, n * syment, 'the dynamic symbol table');
      for (let j = 0; j < n; j++) {
        const o = j * syment;
        const shndx = this.u16(table, this.is64 ? o + 6 : o + 14);
        const nameIdx = this.u32(table, o);
        if (shndx !== 0 || nameIdx === 0) continue;
        if (nameIdx + 1 < tab.size) {
          const b0 = this.byteAt(tab.offset + nameIdx);
          const b1 = this.byteAt(tab.offset + nameIdx + 1);
          if (b0 !== undefined && b1 !== undefined && !prefixes.has((b0 << 8) | b1)) continue;
        }
        const name = this.str(nameIdx, 'st_name');
        if (wanted.has(name)) out.push(name);
      }
    }
    return out;
  }

  /** A NUL-terminated string at `index` in the dynamic string table, read in small chunks. */
  private str(index: number, what: string): string {
    const tab = this.strtab!;
    if (!(index < tab.size)) this.fail(tab.offset, `${what} string index ${index} is outside DT_STRTAB (${tab.size} bytes)`);
    const start = tab.offset + index;
    const limit = Math.min(tab.size - index, MAX_STRING);
    let chunk = 128;
    for (;;) {
      const len = Math.min(chunk, limit);
      const buf = this.read(start, len);
      const nul = buf.indexOf(0);
      if (nul >= 0) return buf.toString('latin1', 0, nul);
      if (buf.length < len) this.fail(start, `truncated: ${what} string runs past the end of the file`);
      if (len === limit) this.fail(start, `${what} string is not terminated within ${limit} bytes`);
      chunk *= 4;
    }
  }

  private versionNeeds(offset: number, count: number): VersionNeed[] {
    const out: VersionNeed[] = [];
    let records = 0;
    for (let i = 0, at = offset; i < count; i++) {
      if (i >= MAX_VERSION_RECORDS) this.fail(at, `more than ${MAX_VERSION_RECORDS} version needs`);
      const vn = this.need(at, 16, 'a DT_VERNEED record');
      const cnt = this.u16(vn, 2);
      const need: VersionNeed = { file: this.str(this.u32(vn, 4), 'vn_file'), versions: [], weak: [] };
      let aux = at + this.u32(vn, 8);
      for (let j = 0; j < cnt; j++) {
        if (++records > MAX_VERSION_RECORDS) this.fail(aux, `more than ${MAX_VERSION_RECORDS} version records`);
        const va = this.need(aux, 16, 'a vernaux record');
        const version = this.str(this.u32(va, 8), 'vna_name');
        need.versions.push(version);
        if (this.u16(va, 4) & C.VER_FLG_WEAK) need.weak.push(version);
        const next = this.u32(va, 12);
        if (next === 0) break;
        aux += next;
      }
      out.push(need);
      const next = this.u32(vn, 12);
      if (next === 0) break;
      at += next;
    }
    return out;
  }

  private versionDefs(offset: number, count: number): string[] {
    const out: string[] = [];
    for (let i = 0, at = offset; i < count; i++) {
      if (i >= MAX_VERSION_RECORDS) this.fail(at, `more than ${MAX_VERSION_RECORDS} version definitions`);
      const vd = this.need(at, 20, 'a DT_VERDEF record');
      const flags = this.u16(vd, 2);
      if (this.u16(vd, 6) > 0 && !(flags & C.VER_FLG_BASE)) {
        const aux = this.need(at + this.u32(vd, 12), 8, 'a verdaux record');
        out.push(this.str(this.u32(aux, 0), 'vda_name'));
      }
      const next = this.u32(vd, 16);
      if (next === 0) break;
      at += next;
    }
    return out;
  }
}

/** The interpreter named by a `#!` line, so a script given as a binary gets a useful error. */
function shebangOf(head: Buffer): string | undefined {
  if (head.length < 3 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const line = head.toString('latin1', 2).split('\n')[0].trim();
  return line.split(/\s+/)[0] || undefined;
}
