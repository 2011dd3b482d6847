import { accessSync, constants, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ScratchifyError } from '../errors.js';

function outputFailed(path: string, why: string, cause?: unknown): ScratchifyError {
  return new ScratchifyError('OUTPUT_FAILED', `cannot write ${path}: ${why}`, {
    hint: 'name a file in an existing directory you can write to',
    cause,
  });
}

/** Checks, before any work, that each output can be written: its directory exists and is writable, and it is not a directory. */
export function checkOutputs(paths: string[]): void {
  for (const p of paths) {
    const dir = dirname(p);
    const d = statSync(dir, { throwIfNoEntry: false });
    if (!d) throw outputFailed(p, `${dir} does not exist`);
    if (!d.isDirectory()) throw outputFailed(p, `${dir} is not a directory`);
    try {
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw outputFailed(p, `${dir} is not writable`, e);
    }
    if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) throw outputFailed(p, 'it is a directory');
  }
}

/**
 * Writes every file or none: each goes to a temporary sibling first; then each existing file is moved aside,
 * the new ones moved in, and the old ones removed. Whatever fails on the way, the files that were there before
 * are put back and no temporary file is left.
 */
export function writeAtomically(files: { path: string; data: string | Buffer }[]): void {
  const tag = `${process.pid}.tmp`;
  const temps: string[] = [];
  const asides: { path: string; aside: string }[] = [];
  const placed: string[] = [];
  try {
    checkOutputs(files.map((f) => f.path));
    for (const f of files) {
      temps.push(`${f.path}.${tag}`);
      writeFileSync(`${f.path}.${tag}`, f.data);
    }
    for (const f of files) {
      if (existsSync(f.path)) {
        renameSync(f.path, `${f.path}.old.${tag}`);
        asides.push({ path: f.path, aside: `${f.path}.old.${tag}` });
      }
    }
    files.forEach((f, i) => {
      renameSync(temps[i], f.path);
      placed.push(f.path);
    });
  } catch (e) {
    for (const p of placed) rmSync(p, { force: true });
    for (const a of asides) renameSync(a.aside, a.path);
    for (const t of temps) rmSync(t, { force: true });
    throw e instanceof ScratchifyError ? e : outputFailed(files[Math.max(0, temps.length - 1)].path, (e as Error).message, e);
  }
  for (const a of asides) rmSync(a.aside, { force: true });
}
