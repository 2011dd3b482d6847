import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElfFormatError } from '../../src/elf/errors.js';
import { parseElf } from '../../src/elf/file.js';
import { bufferSource } from '../helpers/byte-source.js';
import { buildElf } from '../helpers/elf-builder.js';
import { FIXTURES } from '../helpers/paths.js';

/** Inputs per property in CI; a local run can lower it with SCRATCHIFY_FUZZ_RUNS. */
const RUNS = Number(process.env.SCRATCHIFY_FUZZ_RUNS ?? 35_000);
/** No single read may ask for more than this: counts from the file are bounded before anything is read. */
const MAX_READ = 2 << 20;
const CORPUS = join(import.meta.dirname, 'corpus');
const IMPORTS = new Set(['pthread_cancel', 'iconv_open', 'printf', 'foo']);

/** Every input ends in a result or the one typed error, fast, with bounded reads. */
function check(b: Buffer): void {
  const src = bufferSource(b);
  const t = performance.now();
  try {
    parseElf(src, 'fuzzed', { versions: true, imports: IMPORTS });
  } catch (e) {
    if (!(e instanceof ElfFormatError)) throw new Error(`untyped error ${(e as Error).name}: ${(e as Error).message}`);
  }
  const ms = performance.now() - t;
  if (ms > 100) throw new Error(`took ${ms.toFixed(0)} ms`);
  if (src.largest > MAX_READ) throw new Error(`asked for a ${src.largest}-byte read`);
}

// Seeds: real programs and libraries built from our C sources (64- and 32-bit, glibc and musl), and crafted
// headers of every class and byte order.
const seeds: Buffer[] = [
  readFileSync(join(FIXTURES, 'rpath_is_inherited/bin/prog')),
  readFileSync(join(FIXTURES, 'rpath_is_inherited/lib/libfoo.so')),
  readFileSync(join(FIXTURES, 'class32/bin/prog')),
  readFileSync(join(FIXTURES, 'musl/bin/prog')),
  ...([32, 64] as const).flatMap((c) =>
    (['LSB', 'MSB'] as const).map((d) =>
      buildElf({ class: c, data: d, interpreter: '/lib/ld.so.1', needed: ['libc.so.6'], soname: 'libx.so', runpath: '$ORIGIN' }),
    ),
  ),
];

const extremes = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

/** Mutations aimed where a reader goes wrong: sizes, offsets and counts, as well as plain noise. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 16 }), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('word' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...extremes), fc.nat()),
    width: fc.constantFrom(2, 4, 8),
  }),
  // Header fields: e_phoff, e_phentsize, e_phnum (both classes' offsets).
  fc.record({
    kind: fc.constant('word' as const),
    at: fc.constantFrom(28, 32, 42, 44, 54, 56),
    value: fc.constantFrom(...extremes),
    width: fc.constantFrom(2, 4, 8),
  }),
);

interface Mutation {
  kind: 'truncate' | 'flip' | 'word';
  at: number | number[];
  value?: number;
  width?: number;
  bit?: number;
}

function mutate(seed: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of muts) {
    if (m.kind === 'truncate') b = b.subarray(0, (m.at as number) % (b.length + 1));
    else if (m.kind === 'flip')
      for (const a of m.at as number[]) {
        if (b.length) b[a % b.length] ^= 1 << m.bit!;
      }
    else if (b.length >= m.width!) {
      const at = (m.at as number) % (b.length - m.width! + 1);
      const v = m.value! >>> 0;
      if (m.width === 2) b.writeUInt16LE(v & 0xffff, at);
      else if (m.width === 4) b.writeUInt32LE(v, at);
      else b.writeBigUInt64LE(BigInt(v) * (m.value === 0xffffffff ? 0xffffffffn : 1n), at);
    }
  }
  return b;
}

/** Rewrites dynamic entries in place: pointing them at themselves, past the end, or at huge counts. */
function dynamicEntryMutation(seed: Buffer, which: number, value: number): Buffer {
  const b = Buffer.from(seed);
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const rd = (o: number, w: number) =>
    w === 8
      ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o))
      : w === 4
        ? le
          ? b.readUInt32LE(o)
          : b.readUInt32BE(o)
        : le
          ? b.readUInt16LE(o)
          : b.readUInt16BE(o);
  const phoff = rd(is64 ? 32 : 28, is64 ? 8 : 4);
  const phentsize = rd(is64 ? 54 : 42, 2);
  const phnum = rd(is64 ? 56 : 44, 2);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (rd(o, 4) !== 2) continue;
    const dynOff = rd(o + (is64 ? 8 : 4), is64 ? 8 : 4);
    const ent = is64 ? 16 : 8;
    const at = dynOff + (which % 32) * ent + ent / 2;
    if (at + ent / 2 > b.length) return b;
    const v = value === -1 ? dynOff : value; // -1: the entry points at the dynamic table itself
    if (is64) le ? b.writeBigUInt64LE(BigInt(v >>> 0), at) : b.writeBigUInt64BE(BigInt(v >>> 0), at);
    else le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at);
  }
  return b;
}

describe('ELF reader fuzzing: a result or ElfFormatError, under 100 ms, bounded reads', () => {
  it(`random mutations of real and crafted files (${RUNS} inputs)`, () => {
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (s, muts) => {
        check(mutate(seeds[s], muts as Mutation[]));
      }),
      { numRuns: RUNS },
    );
  });

  it(`dynamic entries pointing at themselves, past the end, or at huge counts (${RUNS} inputs)`, () => {
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.nat(31), fc.oneof(fc.constantFrom(-1, ...extremes), fc.nat()), (s, which, value) => {
        check(dynamicEntryMutation(seeds[s], which, value));
      }),
      { numRuns: RUNS },
    );
  });

  it(`every truncation of a small program (${seeds[0].length} inputs) and random bytes after an ELF magic (${RUNS} inputs)`, () => {
    for (let n = 0; n <= seeds[0].length; n++) check(seeds[0].subarray(0, n));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }), fc.constantFrom(1, 2), fc.constantFrom(1, 2), (bytes, cls, data) => {
        check(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, cls, data, 1, 0]), Buffer.from(bytes)]));
      }),
      { numRuns: RUNS },
    );
  });

  it('the corpus of inputs that once failed', () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.bin'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) check(readFileSync(join(CORPUS, f)));
  });
});
