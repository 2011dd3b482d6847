#!/usr/bin/env node
// A cold generate after a top-layer-only change of the base, against a cold generate of the whole base: the base
// read without an engine (an OCI layout), its layers kept in the cache by digest. v2 is v1 with one more layer (an
// application's file on top); "cold" is an empty SCRATCHIFY_CACHE, "after v1" is the cache v1 left.
// Usage: node bench/layer-cache.mjs OCI_LAYOUT:TAG PROGRAM [--runs N]   (after npm run build)
//   e.g. skopeo copy docker-daemon:scratchify-test/nginx-base:bookworm oci:/tmp/nginx-layout:b
//        node bench/layer-cache.mjs /tmp/nginx-layout:b /usr/sbin/nginx
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blob, MEDIA } from '../dist/image/oci.js';
import { writeTar } from '../dist/rootfs/tar-write.js';
import { takeOption } from './lib.mjs';

const argv = process.argv.slice(2);
const runs = Number(takeOption(argv, '--runs', '5'));
const [layoutTag, program] = argv;
const [layout, tag] = layoutTag.split(':');
const bin = join(import.meta.dirname, '..', 'bin', 'run.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const work = mkdtempSync(join(tmpdir(), 'scratchify-bench-layers-'));

// v2: the same layout, one layer more.
const v2 = join(work, 'v2');
cpSync(layout, v2, { recursive: true });
const read = (d) => readFileSync(join(v2, 'blobs/sha256', d.slice(7)));
const index = JSON.parse(readFileSync(join(v2, 'index.json'), 'utf8'));
const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
const manifest = JSON.parse(read(entry.digest));
const config = JSON.parse(read(manifest.config.digest));
const layer = blob(
  MEDIA.layer,
  writeTar([
    { type: 'dir', path: '/app', mode: 0o755, uid: 0, gid: 0 },
    { type: 'file', path: '/app/version', mode: 0o644, uid: 0, gid: 0, content: Buffer.from(`${Date.now()}\n`) },
  ]),
);
config.rootfs.diff_ids.push(layer.digest);
const configBlob = blob(MEDIA.config, Buffer.from(JSON.stringify(config)));
manifest.config = { mediaType: MEDIA.config, digest: configBlob.digest, size: configBlob.data.length };
manifest.layers.push({ mediaType: MEDIA.layer, digest: layer.digest, size: layer.data.length });
const manifestBlob = blob(MEDIA.manifest, Buffer.from(JSON.stringify(manifest)));
for (const b of [layer, configBlob, manifestBlob]) writeFileSync(join(v2, 'blobs/sha256', b.digest.slice(7)), b.data);
Object.assign(entry, { digest: manifestBlob.digest, size: manifestBlob.data.length, mediaType: MEDIA.manifest });
writeFileSync(join(v2, 'index.json'), JSON.stringify(index));

function generate(base, cache) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, program, '--base', base, '-o', join(work, 'Dockerfile')], {
    env: { ...process.env, SCRATCHIFY_CACHE: cache },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`generate --base ${base}: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

const whole = [];
const top = [];
for (let i = 0; i < runs; i++) {
  const cache = join(work, `cache-${i}`);
  whole.push(generate(`oci:${v2}:${tag}`, `${cache}-cold`));
  generate(`oci:${layout}:${tag}`, cache);
  top.push(generate(`oci:${v2}:${tag}`, cache));
  rmSync(`${cache}-cold`, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
}
const [w, t] = [median(whole), median(top)];
console.log(
  `${program} from ${layoutTag} plus a top layer: cold ${w.toFixed(2)} s; after the base without it ${t.toFixed(2)} s (${(t / w).toFixed(2)}x)`,
);
rmSync(work, { recursive: true, force: true });
