'use strict';
// Loads a CommonJS bundle with V8's code cache. Node 20 keeps no compile cache for require or import, and
// compiling the fast-path bundle is an eighth of its run. The build (scripts/bundle.mjs) starts the bundle
// with a comment holding the SHA-256 of its contents and saves the cache under the same digest; a cache is used
// only when the digests match, and V8 itself rejects a cache from another V8 version or other flags, so a stale
// or foreign cache costs a compile, never a wrong result. (Hashing at run time would cost more than it saves.)
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

const BUILD_ID = /^\/\* build ([0-9a-f]{64}) \*\//;

function loadCached(file) {
  const source = readFileSync(file, 'utf8');
  const id = BUILD_ID.exec(source)?.[1];
  let cachedData;
  try {
    const saved = readFileSync(`${file}.v8cache`);
    if (id !== undefined && saved.toString('latin1', 0, id.length) === id) cachedData = saved.subarray(id.length);
  } catch {
    // no cache: compile
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, require, module, file, dirname(file));
  const saveCache = () => {
    if (id === undefined) throw new Error(`${file} has no build id; build it with scripts/bundle.mjs`);
    const tmp = `${file}.v8cache.${process.pid}`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()]));
    renameSync(tmp, `${file}.v8cache`);
  };
  return { exports: module.exports, cacheUsed: cachedData !== undefined && !script.cachedDataRejected, saveCache };
}

/**
 * loadCached, with the bundle then in require's cache under its own name: a later require of that file (oclif's
 * explicit command target) gets these exports instead of loading and compiling the bundle a second time.
 */
function requireCached(file) {
  const loaded = loadCached(file);
  const mod = new Module(file);
  Object.assign(mod, { filename: file, loaded: true, exports: loaded.exports });
  require.cache[file] = mod;
  return loaded;
}

module.exports = { loadCached, requireCached };
