import type { Root } from '../rootfs/root.js';
import { shellLine } from '../shell-words.js';
import { diagnose } from './diagnose.js';
import { fixCommand } from './fix-command.js';
import { fixesInTarget } from './found-elsewhere.js';
import { problemLines } from './render.js';
/** What doctor says of `program` in the image: its tried paths with their rules, a file found elsewhere, the fix. */
export function missingFix(root: Root, program: string, where: { image?: string; dir?: string; engine: string }) {
  const d = diagnose(root, program);
  const inTarget = fixesInTarget(d, root);
  const command = fixCommand(
    { ...where, root },
    [],
    inTarget.filter((f) => f.place).map((f) => f.place!),
  );
  const lines = d.problems
    .filter((p) => p.fatal)
    .flatMap((p) =>
      problemLines(
        p,
        undefined,
        inTarget.find((f) => f.problem === p),
        root.description,
      ),
    );
  const flag = where.image ? ['--image', where.image] : ['--root', where.dir ?? '/'];
  lines.push(
    command
      ? `fix it with: ${command}`
      : `it is nowhere in ${root.description}: doctor with --base and an image that has it prints the COPY lines (${shellLine(['scratchify', 'doctor', program, ...flag])} lists the paths tried)`,
  );
  return { lines, command };
}
