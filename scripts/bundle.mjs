// Bundles the compiled tree (dist/) for start-up speed: the oclif CLI and `resolve`'s fast path as one CommonJS
// file each, and V8's code cache for both, made by running each once on this machine's node binary.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
// fast-glob and picomatch are two thirds of the fast path's code, and only --include patterns use them: our code
// gets stand-ins that load them (still bundled) on first use instead of at every start (~3 ms). Their own
// imports of each other are left alone.
const LAZY = /^(fast-glob|picomatch)$/;
const lazyMatchers = {
  name: 'lazy-matchers',
  setup(b) {
    b.onResolve({ filter: LAZY }, (args) =>
      args.namespace !== 'lazy' && args.importer.startsWith(dist) ? { path: args.path, namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      // A function target, so that picomatch's stand-in can be called as well as read.
      contents: `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy(function () {}, { get: (_, k) => load()[k], apply: (_, self, a) => load().apply(self, a) });`,
      resolveDir: root,
    }));
  },
};
// oclif sorts the command ids with localeCompare as it loads, on every run: the first localeCompare of a process
// starts ICU's collation, ~16 ms of a warm generate. Our ids are lowercase ASCII words and colons, which sort the
// same by code unit; the sort only orders oclif's own listings. An oclif that no longer has this line is bundled
// as it is, with a warning.
const SORT = '.sort((a, b) => a.id.localeCompare(b.id));';
const plainSort = {
  name: 'plain-sort',
  setup(b) {
    b.onLoad({ filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(SORT)) return { contents: text, warnings: [{ text: `${args.path} no longer sorts with localeCompare` }] };
      return { contents: text.replace(SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));') };
    });
  },
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  plugins: [lazyMatchers, plainSort],
};

/** Bundles one entry point as CommonJS, starting with the digest of its contents, which bin/code-cache.js
 * matches against the saved cache. */
async function bundle(entry, file, options = {}) {
  const { outputFiles } = await build({ ...common, ...options, entryPoints: [join(dist, entry)], format: 'cjs', write: false });
  const code = outputFiles[0].text;
  writeFileSync(file, `/* build ${createHash('sha256').update(code).digest('hex')} */\n${code}`);
}

/** Runs `work` on the loaded bundle with stdout and stderr muted, then saves V8's code cache: it then holds the
 * functions that ran, compiled, not only the top level. */
async function warm(file, work) {
  const loaded = requireCached(file);
  const writes = [process.stdout.write, process.stderr.write];
  process.stdout.write = process.stderr.write = () => true;
  try {
    await work(loaded.exports);
  } catch {
    // A warm-up that fails (an odd build machine) still leaves what it compiled; the cache is only a speed-up.
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
  }
  process.exitCode = 0;
  loaded.saveCache();
}

const { requireCached } = createRequire(import.meta.url)(join(root, 'bin', 'code-cache.js'));

// The CLI is CommonJS, not an ES module, because only a script can be given V8's code cache on Node 20: with it
// a warm generate starts ~0.15 s sooner. oclif loads typescript and ts-node only for TypeScript plugins, which we
// do not have. The CycloneDX library is loaded from node_modules, only for --sbom (it finds its schemas relative
// to its own files). import.meta.url becomes the bundle's own URL.
const cli = join(dist, 'scratchify.cjs');
const cliOptions = {
  external: ['typescript', 'ts-node', '@cyclonedx/cyclonedx-library'],
  define: { 'import.meta.url': '__scratchify_url' },
  banner: { js: "const __scratchify_url = require('node:url').pathToFileURL(__filename).href;" },
};
await bundle(join('cli', 'main.js'), cli, cliOptions);
// oclif's manifest of the commands and their flags: without one, every run loads each command and works out its
// flags before running any (~15 ms of a warm generate). Made from the bundle just written, with oclif's own Plugin
// loader as `oclif manifest` makes it; written beside and renamed, like the bundle's readers expect.
{
  const { Plugin } = createRequire(import.meta.url)('@oclif/core');
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  const file = join(root, 'oclif.manifest.json');
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(plugin.manifest));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

// The main job on this machine's root, as a user's run takes it (plan, package metadata, references, render),
// for the node binary running this build; oclif requires the bundle itself, found in require's cache.
const out = mkdtempSync(join(tmpdir(), 'scratchify-warm-'));
try {
  await warm(cli, (m) => m.main([process.execPath, '--root', '/', '-o', join(out, 'Dockerfile')], root));
} finally {
  rmSync(out, { recursive: true, force: true });
}

// Resolve's fast path: list and tree output, ld.so.cache, symlinks.
const fast = join(dist, 'resolve-fast.cjs');
await bundle(join('cli', 'fast', 'resolve.js'), fast);
await warm(fast, (m) => {
  for (const format of ['list', 'tree']) m.run(['resolve', process.execPath, '--format', format]);
});
