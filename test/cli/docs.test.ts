import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/paths.js';

describe('docs/commands.md', () => {
  it('its command reference matches the commands (regenerate with node scripts/commands-reference.mjs)', () => {
    let status = 0;
    try {
      execFileSync(process.execPath, [join(REPO, 'scripts/commands-reference.mjs'), '--check'], { stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(0);
  });
});
