#!/usr/bin/env node
// Renders the command reference from the commands' own static args and flags into docs/commands.md, between the
// <!-- commands --> markers, so the docs cannot drift from the CLI. `--check` exits 1 when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../dist/cli/commands/index.js';

const DOC = join(import.meta.dirname, '..', 'docs', 'commands.md');
const cell = (s) =>
  String(s ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');

export function renderReference() {
  const out = [];
  for (const [id, cmd] of Object.entries(COMMANDS).sort(([a], [b]) => a.localeCompare(b))) {
    const args = Object.entries(cmd.args ?? {}).map(([n, a]) => (a.required ? n.toUpperCase() : `[${n.toUpperCase()}]`));
    out.push(
      `### \`scratchify ${[id.replaceAll(':', ' '), ...args].join(' ')}${cmd.strict === false ? '...' : ''}\``,
      '',
      cell(cmd.summary),
      '',
    );
    out.push('| flag | meaning |', '|---|---|');
    for (const [name, f] of Object.entries(cmd.flags ?? {})) {
      const spelled = `${f.char ? `-${f.char}, ` : ''}--${f.allowNo ? `[no-]${name}` : name}${f.type === 'option' ? ` ${f.options ? f.options.join('\\|') : 'VALUE'}` : ''}`;
      out.push(`| \`${spelled}\`${f.multiple ? ' (repeatable)' : ''} | ${cell(f.description)} |`);
    }
    if (cmd.enableJsonFlag) out.push(`| \`--json\` | ${cell(cmd.baseFlags?.json?.description)} |`);
    out.push('');
  }
  return out.join('\n');
}

const text = readFileSync(DOC, 'utf8');
const start = '<!-- commands -->';
const stop = '<!-- commandsstop -->';
const i = text.indexOf(start);
const j = text.indexOf(stop);
if (i < 0 || j < i) throw new Error('docs/commands.md has no <!-- commands --> ... <!-- commandsstop --> section');
const next = `${text.slice(0, i + start.length)}\n${renderReference()}\n${text.slice(j)}`;
if (process.argv.includes('--check')) {
  if (next !== text) {
    console.error('docs/commands.md command reference is stale: run node scripts/commands-reference.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(DOC, next);
}
