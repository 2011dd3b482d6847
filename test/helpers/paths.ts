import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const FIXTURES = join(REPO, 'test', '.fixtures');
export const BIN = join(REPO, 'bin', 'run.js');
