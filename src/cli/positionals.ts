/**
 * The positionals in the order they were given, from oclif's raw tokens. oclif's own `argv` sorts them by where
 * each string first occurs, so repeated ones move together (`-c a -c b` becomes `-c -c a b`). Its raw `arg` tokens
 * are the same positionals in order (an unknown flag-like token before `--` is a parse error, never a positional).
 */
export function positionals(raw: readonly { type: string; input: string }[]): string[] {
  return raw.filter((t) => t.type === 'arg').map((t) => t.input);
}
