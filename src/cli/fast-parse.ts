/**
 * A string flag as plain data, so one definition serves both oclif (which builds `Flags.string` from it) and the
 * start-up fast path, which must not load oclif.
 */
export interface StringFlagSpec {
  readonly char?: string;
  readonly description: string;
  readonly default?: string;
  readonly multiple?: boolean;
  readonly options?: readonly string[];
}

export type FlagSpecs = Readonly<Record<string, StringFlagSpec>>;

export interface FastParse {
  flags: Record<string, string | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses argv only when oclif would read it the same way; anything else returns undefined and is left to oclif,
 * so help, usage errors and its less common forms behave exactly as documented. Declined: unknown or repeated
 * flags, `--`, short flags glued to their value, values that start with `-` or are empty, values outside
 * `options`, no positional at all (oclif would read stdin), and a positional after a `multiple` flag (oclif
 * takes it as another value of that flag).
 */
export function fastParse(argv: readonly string[], specs: FlagSpecs): FastParse | undefined {
  const flags: FastParse['flags'] = {};
  const positionals: string[] = [];
  let afterMultiple = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('-') || token === '-') {
      if (afterMultiple) return undefined;
      positionals.push(token);
      continue;
    }
    let name: string | undefined;
    let value: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      if (eq >= 0) value = token.slice(eq + 1);
    } else if (token.length === 2) {
      name = Object.keys(specs).find((k) => specs[k].char === token[1]);
    }
    const spec = name === undefined ? undefined : Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (name === undefined || spec === undefined) return undefined;
    if (value === undefined) value = argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (spec.options && !spec.options.includes(value)) return undefined;
    if (spec.multiple) {
      ((flags[name] ??= []) as string[]).push(value);
    } else {
      if (flags[name] !== undefined) return undefined;
      flags[name] = value;
    }
    afterMultiple = spec.multiple === true;
  }
  if (positionals.length === 0) return undefined;
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] === undefined) flags[name] = spec.multiple ? [] : spec.default;
  }
  return { flags, positionals };
}
