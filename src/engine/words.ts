import { ScratchifyError } from '../errors.js';

/**
 * Splits a command given as one string (--trace, --smoke) into words the way a POSIX shell would for plain
 * words and quotes: 'single' and "double" quotes group, a backslash escapes the next character outside single
 * quotes. Nothing is expanded; scratchify never needs a shell in the image to run a command.
 */
export function splitWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) word += command[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new ScratchifyError('USAGE', `unterminated ${quote} quote in '${command}'`, { hint: 'close the quote' });
  if (word !== undefined) words.push(word);
  return words;
}
