import { ScratchifyError } from '../errors.js';
import { splitWords } from './words.js';

/**
 * A service's own protocol, which the probe client speaks for a real round trip (templates/probe-client.mjs):
 * PostgreSQL's startup (and a query when the server lets the probe in), Redis's PING, memcached's version and
 * a stored and read-back value, MySQL's handshake.
 */
export type Protocol = 'postgres' | 'redis' | 'memcached' | 'mysql';

/** One request made to the running service, as `--probe` spells it. Bytes travel base64-encoded. */
export type ProbeSpec =
  | { kind: 'http'; text: string; method: string; port: number; path: string; headers: Record<string, string>; data?: string }
  | { kind: 'tcp'; text: string; port: number; data?: string; expect?: string; protocol?: Protocol; unix?: UnixSocket };

/**
 * A service's unix socket, reached instead of its port: the probe runs as the service's own user (`uid`, the
 * image's USER) with the socket's directory shared, so PostgreSQL's peer authentication lets it in as `user`.
 */
export interface UnixSocket {
  dir: string;
  name: string;
  uid: string;
  user: string;
}

/** What each protocol's round trip is, in the report's words. */
const ROUND_TRIPS: Record<Protocol, string> = {
  postgres: 'a PostgreSQL startup, and a query when the server lets the probe in',
  redis: 'a Redis PING',
  memcached: "memcached's version, and a value stored and read back",
  mysql: 'a MySQL handshake',
};

/** A round trip's words, with how it connects. */
export function roundTripWords(p: ProbeSpec): string | undefined {
  if (p.kind !== 'tcp' || !p.protocol) return undefined;
  const how = ROUND_TRIPS[p.protocol];
  return p.unix ? `${how}, as ${p.unix.user} through ${p.unix.dir}/${p.unix.name}` : how;
}

/**
 * PostgreSQL's probes through its unix socket, where the image's configuration names a socket directory: there
 * Debian's (and most) pg_hba.conf let the service's own user in by peer authentication, so the probe's query
 * reaches what a first real client does (the database's locale, plpgsql, text search), which over TCP a
 * password would stop.
 */
export function throughSockets(probes: ProbeSpec[], sockets: readonly string[], uid: string, user: string): ProbeSpec[] {
  if (sockets.length === 0) return probes;
  return probes.map((p) =>
    p.kind === 'tcp' && p.protocol === 'postgres' && !p.unix
      ? { ...p, unix: { dir: sockets[0], name: `.s.PGSQL.${p.port}`, uid, user } }
      : p,
  );
}

/** The protocol and default port of the services scratchify knows, by the program's name. */
const KNOWN: [RegExp, Protocol | 'http', number][] = [
  [/^(postgres|postmaster)$/, 'postgres', 5432],
  [/^(redis|valkey|keydb)-server$/, 'redis', 6379],
  [/^memcached$/, 'memcached', 11211],
  [/^(mysqld|mariadbd)$/, 'mysql', 3306],
  [/^(nginx|httpd|apache2|lighttpd)$/, 'http', 80],
];

function knownService(program: string): { protocol: Protocol | 'http'; port: number } | undefined {
  const name = program.slice(program.lastIndexOf('/') + 1);
  const k = KNOWN.find(([re]) => re.test(name));
  return k && { protocol: k[1], port: k[2] };
}

/**
 * Probes as the service's own client would make them: a tcp:// probe that sends nothing and expects nothing, of a
 * program whose protocol scratchify speaks, becomes that protocol's round trip (an HTTP server's, a GET of /); an
 * open port proves nothing. With no probe at all, `orDefault` asks for one on the protocol's default port.
 */
export function withRoundTrips(probes: ProbeSpec[], program: string, orDefault: boolean): ProbeSpec[] {
  const known = knownService(program);
  if (!known) return probes;
  if (probes.length === 0 && orDefault)
    return [
      known.protocol === 'http'
        ? parseProbe(`http://127.0.0.1:${known.port}/`)
        : { kind: 'tcp', text: `tcp://127.0.0.1:${known.port}`, port: known.port, protocol: known.protocol },
    ];
  return probes.map((p) => {
    if (p.kind !== 'tcp' || p.data !== undefined || p.expect !== undefined) return p;
    return known.protocol === 'http' ? { ...parseProbe(`http://127.0.0.1:${p.port}/`), text: p.text } : { ...p, protocol: known.protocol };
  });
}

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
