#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json) on purpose: an ES module entry adds loader start-up to every run.
// `scratchify resolve` first tries a small bundle of its own, without oclif (src/cli/fast/: loading oclif is a
// large part of a resolve); everything else, and any argv that bundle does not read exactly as oclif would, goes to
// the oclif bundle. SCRATCHIFY_NO_FAST_PATH=1 always uses oclif. The main job has no such path: once oclif's own
// start was made fast it saved next to nothing (bench/fast-path.mjs; figures in docs/performance.md).
const { join } = require('node:path');
const { loadCached, requireCached } = require('./code-cache.js');

const argv = process.argv.slice(2);
const dist = join(__dirname, '..', 'dist');
const fastPaths = !process.env.SCRATCHIFY_NO_FAST_PATH;

/** The oclif bundle, loaded once. */
function oclif() {
  // oclif checks the node version against package.json's engines as it loads, through semver and a require of
  // package.json on every command; the same check, on the major version, costs nothing here. The variable
  // is ours only while oclif loads: the programs scratchify runs do not inherit it.
  if (Number(process.versions.node.split('.')[0]) < 20)
    process.emitWarning(`Node version must be >=20 to use this CLI. Current node version: ${process.versions.node}`);
  const had = process.env.OCLIF_DISABLE_ENGINE_WARNING;
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1';
  // oclif requires the same file for its commands (package.json's oclif.commands): it finds this one in the cache.
  const cli = requireCached(join(dist, 'scratchify.cjs'));
  if (had === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING;
  else process.env.OCLIF_DISABLE_ENGINE_WARNING = had;
  return cli.exports;
}

let handled = false;
if (argv[0] === 'resolve' && fastPaths) {
  handled = loadCached(join(dist, 'resolve-fast.cjs')).exports.run(argv);
  // Done: exit now rather than let V8 finish the garbage collection it started (a few ms on big runs), once
  // stdout and stderr have nothing queued (on Linux they are synchronous for files, pipes and terminals).
  if (handled && process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
}
if (!handled) oclif().main(argv, join(__dirname, '..'));
