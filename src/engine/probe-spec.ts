import { ScratchifyError } from '../errors.js';
import { splitWords } from './words.js';

/** One request made to the running service, as `--probe` spells it. Bytes travel base64-encoded. */
export type ProbeSpec =
  | { kind: 'http'; text: string; method: string; port: number; path: string; headers: Record<string, string>; data?: string }
  | { kind: 'tcp'; text: string; port: number; data?: string; expect?: string };

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
/** The service is probed in its own network namespace: only its loopback is there to reach. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const SYNTAX = "[METHOD] http://127.0.0.1:PORT/PATH [-H 'Name: value']... [-d DATA], or tcp://127.0.0.1:PORT [-d DATA] [--expect TEXT]";

function bad(text: string, why: string): never {
  throw new ScratchifyError('USAGE', `--probe '${text}': ${why}`, { hint: `write ${SYNTAX}` });
}

/** `\r\n`, `\t`, `\xHH` and `\\` in -d and --expect, so a line protocol's request fits on a command line. */
export function unescapeBytes(s: string): Buffer {
  const out: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x5c || i + 1 >= raw.length) {
      out.push(raw[i]);
      continue;
    }
    const c = String.fromCharCode(raw[++i]);
    const simple: Record<string, number> = { r: 13, n: 10, t: 9, '0': 0, '\\': 0x5c };
    if (c in simple) out.push(simple[c]);
    else if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(0x5c, raw[i]);
  }
  return Buffer.from(out);
}

/** Parses one `--probe`; anything it cannot take is a usage error that shows the syntax. */
export function parseProbe(text: string): ProbeSpec {
  const words = splitWords(text);
  const method = words[0] && METHODS.has(words[0].toUpperCase()) ? words.shift()!.toUpperCase() : undefined;
  const target = words.shift();
  if (!target) bad(text, 'no URL');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    bad(text, `${target} is not a URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'tcp') bad(text, `${scheme}:// is not a probe scheme (http:// and tcp:// are)`);
  if (!LOOPBACK.has(url.hostname))
    bad(text, `${url.hostname} is not loopback: the service runs in a network namespace of its own, reached as 127.0.0.1`);
  const port = url.port ? Number(url.port) : scheme === 'http' ? 80 : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad(text, 'a tcp:// probe needs a port');
  const headers: Record<string, string> = {};
  let data: string | undefined;
  let expect: string | undefined;
  while (words.length) {
    const opt = words.shift()!;
    const value = words.shift();
    if (value === undefined) bad(text, `${opt} needs a value`);
    if (opt === '-H' && scheme === 'http') {
      const i = value.indexOf(':');
      if (i <= 0) bad(text, `-H ${value} is not "Name: value"`);
      headers[value.slice(0, i).trim()] = value.slice(i + 1).trim();
    } else if (opt === '-d') data = unescapeBytes(value).toString('base64');
    else if (opt === '--expect' && scheme === 'tcp') expect = unescapeBytes(value).toString('base64');
    else bad(text, `${opt} is not an option of a ${scheme}:// probe`);
  }
  if (scheme === 'tcp') {
    if (method) bad(text, `${method} applies to http:// probes`);
    if (url.pathname && url.pathname !== '/') bad(text, 'a tcp:// probe has no path');
    return { kind: 'tcp', text, port, data, expect };
  }
  return {
    kind: 'http',
    text,
    method: method ?? (data === undefined ? 'GET' : 'POST'),
    port,
    path: `${url.pathname || '/'}${url.search}`,
    headers,
    data,
  };
}
