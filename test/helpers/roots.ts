import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateInput } from '../../src/generate/generate.js';
import type { Root } from '../../src/rootfs/root.js';
import { FIXTURES } from './paths.js';

/** A hermetic root: the hello fixture at /app/hello with this machine's loader and libc, nothing else. */
export function helloRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-hello-root-'));
  for (const d of ['lib64', 'lib/x86_64-linux-gnu', 'app', 'etc']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/lib64/ld-linux-x86-64.so.2', join(dir, 'lib64/ld-linux-x86-64.so.2'));
  copyFileSync('/lib/x86_64-linux-gnu/libc.so.6', join(dir, 'lib/x86_64-linux-gnu/libc.so.6'));
  copyFileSync(join(FIXTURES, 'hello/hello'), join(dir, 'app/hello'));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return dir;
}

/** generate's input for /app/hello in `root`, with `extra` on top: what the unit tests vary is all they spell. */
export function helloInput(root: Root, extra: Partial<GenerateInput> = {}): GenerateInput {
  return {
    root,
    program: '/app/hello',
    args: [],
    includes: [],
    expose: [],
    source: 'test',
    command: 'scratchify /app/hello',
    dockerfileName: 'Dockerfile',
    scaffoldName: 'Dockerfile.scaffold.tar',
    ...extra,
  };
}
