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

/**
 * What the parse reads of a flag: a string flag's spec, or an oclif flag definition as the build writes it for the
 * start-up path (type 'boolean' with allowNo, or 'option'; a default given as a value).
 */
export interface ParseSpec {
  readonly type?: 'boolean' | 'option';
  readonly description?: string;
  readonly char?: string;
  readonly default?: unknown;
  readonly multiple?: boolean;
  readonly options?: readonly string[];
  readonly allowNo?: boolean;
}

export interface FastParse {
  flags: Record<string, unknown>;
  positionals: string[];
}

export interface FastParseOptions {
  /** Arguments after `--` are positionals, as oclif reads them for a command that is not strict. */
  dashDash?: boolean;
  /** A repeatable flag not given is [] (resolve's reading) rather than left out (oclif's). */
  emptyMultiple?: boolean;
}

/**
 * Parses argv only when oclif would read it the same way; anything else returns undefined and is left to oclif,
 * so help, usage errors and its less common forms behave exactly as documented. Declined: unknown or repeated
 * flags (both forms of a --[no-]boolean too), a boolean given a value, `--` unless `dashDash`, short flags glued to their value, values that start with `-` or are empty, values outside
 * `options`, no positional at all (oclif would read stdin), and a positional after a `multiple` flag (oclif
 * takes it as another value of that flag).
 */
export function fastParse(
  argv: readonly string[],
  specs: Readonly<Record<string, ParseSpec>>,
  options: FastParseOptions = {},
): FastParse | undefined {
  const flags: FastParse['flags'] = {};
  const positionals: string[] = [];
  let afterMultiple = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--' && options.dashDash) {
      if (afterMultiple && i + 1 < argv.length) return undefined;
      positionals.push(...argv.slice(i + 1));
      break;
    }
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
    // --no-NAME of a boolean that allows it; a boolean takes no value, and --NAME=... of one is left to oclif.
    const negated = name?.startsWith('no-') && !Object.hasOwn(specs, name) ? name.slice(3) : undefined;
    if (negated !== undefined) name = negated;
    const spec = name === undefined ? undefined : Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (name === undefined || spec === undefined) return undefined;
    if (spec.type === 'boolean') {
      if (value !== undefined || (negated !== undefined && !spec.allowNo) || flags[name] !== undefined) return undefined;
      flags[name] = negated === undefined;
      afterMultiple = false;
      continue;
    }
    if (negated !== undefined) return undefined;
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
  const emptyMultiple = options.emptyMultiple ?? true;
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] !== undefined) continue;
    const absent = spec.multiple && emptyMultiple ? [] : spec.default;
    if (absent !== undefined) flags[name] = absent;
  }
  return { flags, positionals };
}
