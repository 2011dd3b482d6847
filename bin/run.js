#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json) on purpose: an ES module entry costs ~6 ms of loader start-up on every run.
// `scratchify resolve` first tries the small fast-path bundle; everything else, and any resolve argv the fast
// path does not read exactly as oclif would, goes to the oclif bundle. SCRATCHIFY_NO_FAST_PATH=1 always uses oclif.
const { join } = require('node:path');
const { loadCached, requireCached } = require('./code-cache.js');

const argv = process.argv.slice(2);
const dist = join(__dirname, '..', 'dist');
let handled = false;
if (argv[0] === 'resolve' && !process.env.SCRATCHIFY_NO_FAST_PATH) {
  handled = loadCached(join(dist, 'resolve-fast.cjs')).exports.run(argv);
  // Done: exit now rather than let V8 finish the garbage collection it started (a few ms on big runs), once
  // stdout and stderr have nothing queued (on Linux they are synchronous for files, pipes and terminals).
  if (handled && process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
}
if (!handled) {
  // oclif requires the same file for its commands (package.json's oclif.commands): it finds this one in the cache.
  requireCached(join(dist, 'scratchify.cjs')).exports.main(argv, join(__dirname, '..'));
}
