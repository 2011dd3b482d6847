import { ScratchifyError } from '../errors.js';

/** One nginx directive: its name, arguments (quotes removed), and where it was written. */
export interface Directive {
  name: string;
  args: string[];
  file: string;
  line: number;
  /** The enclosing block names, outermost first (e.g. ["http", "server", "location"]). */
  context: string[];
  /** The enclosing blocks' ids, outermost first, parallel to `context`. */
  blocks: number[];
  /** For a directive that opens a block (`server {`), that block's id. */
  opens?: number;
}

/** Where a file's directives sit: an included file continues the context of its `include`. */
export interface ConfScope {
  context: string[];
  blocks: number[];
  /** Hands out block ids, unique across every file of one configuration. */
  ids: { next: number };
}

function invalid(file: string, line: number, why: string): never {
  throw new ScratchifyError('CONFIG_INVALID', `${file}:${line}: ${why}`, {
    hint: `fix the nginx configuration (nginx -t inside the base image shows the same)`,
  });
}

/** nginx unescapes only these after a backslash; any other backslash stays (regexes in location). */
const ESCAPABLE = ['"', "'", '\\'];

/** Splits nginx configuration text into directives, the way ngx_conf_read_token reads it. */
export function parseNginxConf(text: string, file: string, scope: ConfScope = { context: [], blocks: [], ids: { next: 0 } }): Directive[] {
  const out: Directive[] = [];
  const stack: string[] = [];
  const blockIds: number[] = [];
  let words: string[] = [];
  let wordLine = 1;
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' || c === '{') {
      if (words.length === 0) invalid(file, line, `unexpected "${c}"`);
      const d: Directive = {
        name: words[0],
        args: words.slice(1),
        file,
        line: wordLine,
        context: [...scope.context, ...stack],
        blocks: [...scope.blocks, ...blockIds],
      };
      if (c === '{') {
        d.opens = scope.ids.next++;
        stack.push(words[0]);
        blockIds.push(d.opens);
      }
      out.push(d);
      words = [];
      i++;
      continue;
    }
    if (c === '}') {
      if (words.length > 0) invalid(file, line, `unexpected "}" after "${words.join(' ')}"`);
      if (stack.length === 0) invalid(file, line, 'unexpected "}"');
      stack.pop();
      blockIds.pop();
      i++;
      continue;
    }
    if (words.length === 0) wordLine = line;
    if (c === '"' || c === "'") {
      let w = '';
      const start = line;
      i++;
      while (i < n && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < n && ESCAPABLE.includes(text[i + 1])) i++;
        if (text[i] === '\n') line++;
        w += text[i++];
      }
      if (i >= n) invalid(file, start, 'unterminated quoted string');
      i++;
      words.push(w);
      continue;
    }
    let w = '';
    while (i < n && !' \t\r\n;{}'.includes(text[i])) {
      // A "#" inside a word is part of it; only a word-initial "#" starts a comment.
      if (text[i] === '\\' && i + 1 < n && ESCAPABLE.includes(text[i + 1])) i++;
      w += text[i++];
    }
    words.push(w);
  }
  if (words.length > 0) invalid(file, line, `unexpected end of file, expecting ";" or "}" after "${words.join(' ')}"`);
  if (stack.length > 0) invalid(file, line, `unexpected end of file, expecting "}" to close "${stack[stack.length - 1]}"`);
  return out;
}

/** Compiled-in paths from `configure arguments:` in the binary, with nginx's own defaults for the rest. */
export interface NginxBuild {
  prefix: string;
  confPath: string;
  errorLogPath: string;
  httpLogPath: string;
  pidPath: string;
  tempPaths: string[];
  modulesPath: string;
}

export function parseConfigureArgs(args: string | undefined): NginxBuild {
  const get = (name: string) => {
    const m = args ? new RegExp(`--${name}=(\\S+)`).exec(args) : null;
    return m?.[1];
  };
  const prefix = (get('prefix') ?? '/usr/local/nginx').replace(/\/$/, '');
  const full = (p: string) => (p.startsWith('/') || p === 'stderr' ? p : `${prefix}/${p}`);
  return {
    prefix,
    confPath: full(get('conf-path') ?? 'conf/nginx.conf'),
    errorLogPath: full(get('error-log-path') ?? 'logs/error.log'),
    httpLogPath: full(get('http-log-path') ?? 'logs/access.log'),
    pidPath: full(get('pid-path') ?? 'logs/nginx.pid'),
    modulesPath: full(get('modules-path') ?? 'modules'),
    tempPaths: ['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) =>
      full(get(`http-${t}-temp-path`) ?? `${t === 'client-body' ? 'client_body' : t}_temp`),
    ),
  };
}
