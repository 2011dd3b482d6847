/** A word a POSIX shell reads back as `s`: bare when it has nothing the shell treats specially, else quoted. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

/** A command line a POSIX shell splits back into exactly these words. */
export function shellLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
