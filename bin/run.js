#!/usr/bin/env node
// The CLI is one esbuild bundle (npm run build): loading oclif from a single file saves ~70 ms per run.
import { main } from '../dist/scratchify.mjs';

await main(process.argv.slice(2), import.meta.url);
