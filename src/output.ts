import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { ScratchifyError } from './errors.js';

/** Writes every file to a temporary name first and renames them only when all were written. */
export function writeAtomically(files: { path: string; data: string | Buffer }[]): void {
  const temps: string[] = [];
  try {
    for (const f of files) {
      const tmp = `${f.path}.${process.pid}.tmp`;
      temps.push(tmp);
      writeFileSync(tmp, f.data);
    }
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    throw new ScratchifyError('OUTPUT_FAILED', `cannot write ${files[temps.length - 1]?.path}: ${(e as Error).message}`, { hint: 'check the directory exists and is writable', cause: e });
  }
  files.forEach((f, i) => renameSync(temps[i], f.path));
}
