// Bundles the compiled tree (dist/) for start-up speed: the oclif CLI as one ES module, `resolve`'s fast path as
// one CommonJS file, and V8's code cache for the latter, made by running it once on this machine's node binary.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  plugins: [lazyMatchers],
};

await build({
  ...common,
  entryPoints: [join(dist, 'cli', 'main.js')],
  outfile: join(dist, 'scratchify.mjs'),
  format: 'esm',
  // oclif loads typescript and ts-node only for TypeScript plugins, which we do not have. The CycloneDX library
  // is loaded from node_modules, only for --sbom (it finds its schemas relative to its own files).
  external: ['typescript', 'ts-node', '@cyclonedx/cyclonedx-library'],
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

const fast = join(dist, 'resolve-fast.cjs');
const { outputFiles } = await build({
  ...common,
  entryPoints: [join(dist, 'cli', 'fast-resolve.js')],
  outfile: fast,
  format: 'cjs',
  write: false,
});
const code = outputFiles[0].text;
// The digest of the contents, which bin/code-cache.js matches against the saved cache.
writeFileSync(fast, `/* build ${createHash('sha256').update(code).digest('hex')} */\n${code}`);

// Run the paths a user's run takes (list and tree output, ld.so.cache, symlinks) with stdout muted, then save.
const { loadCached } = createRequire(import.meta.url)(join(root, 'bin', 'code-cache.js'));
const loaded = loadCached(fast);
const write = process.stdout.write;
process.stdout.write = () => true;
try {
  for (const format of ['list', 'tree']) loaded.exports.run(['resolve', process.execPath, '--format', format]);
} finally {
  process.stdout.write = write;
}
process.exitCode = 0;
loaded.saveCache();
