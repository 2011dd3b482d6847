import type { ElfFile } from '../elf/file.js';
import type { ByteSource } from '../elf/source.js';
import type { Root } from '../rootfs/root.js';
import { containsStrings, probed } from './binary-probes.js';

/** What a Go binary says about itself in its build info blob, read without running it. */
export interface GoInfo {
  version?: string;
  path?: string;
  mod?: string;
  settings: Record<string, string>;
  cgo?: boolean;
  /** crypto/x509 loads the system's CA roots: the image needs a bundle. */
  x509: boolean;
}

const MAGIC = '\xff Go buildinf:';
const HEADER = 32;
/** Go's debug/buildinfo reads this much of the data segment looking for the blob. */
const DATA_SEARCH = 64 << 10;
const FLAG_VERSION_INLINE = 2;
/** Go wraps modinfo in 16-byte sentinels so the linker can find it. */
const SENTINEL = 16;
const X509_MARKERS = ['crypto/x509.initSystemRoots', 'crypto/x509.loadSystemRoots'];

function uvarint(b: Buffer, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (let i = at; i < Math.min(b.length, at + 10); i++) {
    v += (b[i] & 0x7f) * 2 ** shift;
    if (!(b[i] & 0x80)) return [v, i + 1];
    shift += 7;
  }
  return [-1, at];
}

/**
 * Recognises a Go binary by its `\xff Go buildinf:` blob (Go 1.18+ layout; older ones are Go, details unknown).
 * Like Go's debug/buildinfo, it looks only in the first 64 KiB of the data segment, 16-byte aligned, so a large
 * C program costs one small read rather than a scan of the whole file.
 */
export function goInfo(root: Root, real: string): GoInfo | undefined {
  return probed(root, real, 'go', goBuildInfo);
}

/** goInfo from the file's bytes: a probe an image's cache runs on every ELF file. */
export function goBuildInfo(src: ByteSource, elf?: ElfFile): GoInfo | undefined {
  const at = elf?.dataOffset;
  if (at === undefined) return undefined;
  let blob: Buffer | undefined;
  const data = src.read(at, DATA_SEARCH);
  const needle = Buffer.from(MAGIC, 'latin1');
  for (let i = data.indexOf(needle); i >= 0; i = data.indexOf(needle, i + 1)) {
    if (i % 16 === 0) {
      blob = src.read(at + i, 64 << 10);
      break;
    }
  }
  if (!blob) return undefined;
  const info: GoInfo = { settings: {}, x509: containsStrings(src, X509_MARKERS).size > 0 };
  if (blob.length >= HEADER && blob[15] & FLAG_VERSION_INLINE) {
    let [len, at] = uvarint(blob, HEADER);
    if (len >= 0 && at + len <= blob.length) {
      info.version = blob.toString('utf8', at, at + len);
      [len, at] = uvarint(blob, at + len);
      if (len >= 2 * SENTINEL && at + len <= blob.length) {
        const mod = blob.toString('utf8', at + SENTINEL, at + len - SENTINEL);
        for (const line of mod.split('\n')) {
          const [kind, a, b] = line.split('\t');
          if (kind === 'path') info.path = a;
          else if (kind === 'mod') info.mod = `${a}${b ? `@${b}` : ''}`;
          else if (kind === 'build' && a?.includes('=')) info.settings[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
        }
      }
    }
  }
  if (info.settings.CGO_ENABLED !== undefined) info.cgo = info.settings.CGO_ENABLED === '1';
  return info;
}
